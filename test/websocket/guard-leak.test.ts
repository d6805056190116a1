/**
 * 10,000 refused handshakes in a row leave no socket open on the server: every refusal is written
 * completely and its socket destroyed.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { scaled } from '../helpers/time.js';
import { KEY, startGuard, waitFor } from '../helpers/upgrade-harness.js';

const TOTAL = 10_000;
const BATCH = 50;

/** Kinds of refusal in the burst, in rotation, with the status each must get. */
const KINDS: readonly { readonly path: string; readonly lines: string; readonly status: string }[] = [
  { path: '/ws', lines: 'Host: 127.0.0.1\r\nOrigin: https://evil.example\r\n', status: '403' },
  {
    path: '/ws',
    lines: 'Host: 127.0.0.1\r\nOrigin: https://app.example.com\r\nOrigin: https://app.example.com\r\n',
    status: '403',
  },
  { path: '/ws', lines: 'Origin: https://app.example.com\r\n', status: '400' },
  { path: '/elsewhere', lines: 'Host: 127.0.0.1\r\nOrigin: https://app.example.com\r\n', status: '404' },
];

/**
 * One raw refused handshake from a client that never closes its own side (allowHalfOpen): only
 * the server can free the connection. Resolves with the status and the client socket once the
 * server's FIN arrived.
 */
function refusedHandshake(port: number, i: number): Promise<{ status: string; socket: Socket }> {
  const kind = KINDS[i % KINDS.length];
  assert.ok(kind !== undefined);
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`handshake ${i} not answered and closed by the server within 5 s; got ${JSON.stringify(data)}`));
    }, 5000);
    socket.on('connect', () => {
      socket.write(
        `GET ${kind.path} HTTP/1.1\r\n${kind.lines}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    const done = (): void => {
      clearTimeout(timer);
      const status = data.slice(9, 12);
      if (status !== kind.status)
        reject(new Error(`handshake ${i}: expected ${kind.status}, got ${JSON.stringify(data.slice(0, 40))}`));
      else resolve({ status, socket });
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

test(`${TOTAL} refused handshakes in a row leave no open socket behind`, { timeout: scaled(60_000) }, async (t) => {
  const policy = createCorsPolicy({ origin: 'https://app.example.com', env: {} });
  const h = await startGuard(t, policy, { paths: ['/ws'] });
  let opened = 0;
  let closed = 0;
  let peak = 0;
  h.server.on('connection', (socket) => {
    opened++;
    peak = Math.max(peak, opened - closed);
    socket.once('close', () => closed++);
  });
  const started = Date.now();
  const counts = new Map<string, number>();
  for (let start = 0; start < TOTAL; start += BATCH) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(BATCH, TOTAL - start) }, (_, j) => refusedHandshake(h.port, start + j)),
    );
    // The clients are still half-open: the server side must already be gone by itself.
    await waitFor(
      () => opened === closed,
      2000,
      () => `batch ${start}: ${opened - closed} server sockets left open by the guard`,
    );
    for (const { status, socket } of answers) {
      counts.set(status, (counts.get(status) ?? 0) + 1);
      socket.destroy();
    }
  }
  const elapsed = Date.now() - started;
  await waitFor(
    () => opened === closed && h.openSockets() === 0,
    3000,
    () => `${opened - closed} server sockets still open`,
  );
  const connections = await new Promise<number>((resolve, reject) =>
    h.server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );
  assert.equal(connections, 0);
  assert.equal(opened, TOTAL);
  assert.equal(closed, TOTAL);
  assert.ok(peak <= BATCH, `at most one batch open at a time, saw ${peak}`);
  assert.deepEqual(Object.fromEntries(counts), { '403': TOTAL / 2, '400': TOTAL / 4, '404': TOTAL / 4 });
  assert.equal(h.connections.length, 0);
  assert.equal(h.rejects.length, TOTAL);
  t.diagnostic(`${TOTAL} refusals in ${elapsed} ms`);
});
