/**
 * upgradeGuard(): sockets are never leaked, never written after the client left, never left
 * hanging. Clients that leave during an async origin check, writes that never finish, throwing
 * handlers.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { destroyOnError, refuseUpgrade, socketGone } from '../../src/websocket/upgrade-refusal.js';
import { upgradeGuard, type UpgradeRejectInfo } from '../../src/websocket/upgrade-guard.js';
import { KEY, captureUpgradeLog, delay, waitFor } from '../helpers/upgrade-harness.js';

/** An origin function that answers `answer` after `ms`, and records when it was called and answered. */
function slowOrigin(
  ms: number,
  answer: boolean,
): { fn: (origin: string) => Promise<boolean>; started: () => boolean; settled: () => boolean } {
  let called = false;
  let done = false;
  return {
    fn: async () => {
      called = true;
      await delay(ms);
      done = true;
      return answer;
    },
    started: () => called,
    settled: () => done,
  };
}

function chunkText(chunk: unknown): string {
  if (Buffer.isBuffer(chunk)) return chunk.toString('latin1');
  return typeof chunk === 'string' ? chunk : '';
}

/**
 * A server whose upgrade listener records every write the guard makes to the socket before
 * handing the socket to the guard.
 */
async function spiedServer(t: TestContext, originFn: (origin: string) => Promise<boolean>) {
  const policy = createCorsPolicy({ origin: originFn, env: {} });
  const wss = new WebSocketServer({ noServer: true });
  const allowed: IncomingMessage[] = [];
  const connections: IncomingMessage[] = [];
  const rejects: UpgradeRejectInfo[] = [];
  const writes: string[] = [];
  const closed: number[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    connections.push(req);
  });
  const guard = upgradeGuard(
    policy,
    (req, socket, head) => {
      allowed.push(req);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    { onReject: (info) => rejects.push(info) },
  );
  const server = createServer();
  const sockets = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      closed.push(Date.now());
    });
    const write = socket.write.bind(socket);
    const end = socket.end.bind(socket);
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      writes.push(chunkText(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof socket.write;
    socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk !== undefined && typeof chunk !== 'function') writes.push(chunkText(chunk));
      return (end as (...args: unknown[]) => Duplex)(chunk, ...rest);
    }) as typeof socket.end;
    guard(req, socket, head);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    wss.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as { port: number }).port;
  return { port, allowed, connections, rejects, writes, closed, openSockets: () => sockets.size };
}

describe('upgradeGuard: clients that leave during an async origin check', () => {
  test('ws client terminated mid-check: never upgraded, socket closed before the check ends', async (t) => {
    const origin = slowOrigin(1000, true);
    const s = await spiedServer(t, origin.fn);
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}`, { origin: 'https://app.example.com' });
    const clientError = once(ws, 'error');
    await waitFor(origin.started, 2000, () => 'origin function not called');
    ws.terminate();
    const [err] = (await clientError) as [Error];
    assert.match(err.message, /closed before the connection was established/);
    await waitFor(
      () => s.openSockets() === 0,
      2000,
      () => 'server socket still open',
    );
    assert.equal(origin.settled(), false, 'the socket was freed while the check was still running');
    await waitFor(origin.settled, 2000, () => 'origin function did not settle');
    await delay(20);
    assert.equal(s.allowed.length, 0);
    assert.equal(s.connections.length, 0);
    assert.deepEqual(s.writes, []);
  });

  test('raw client that half-closes (FIN) mid-check: refused origin, nothing written', async (t) => {
    const lines = captureUpgradeLog(t);
    const origin = slowOrigin(600, false);
    const s = await spiedServer(t, origin.fn);
    const client = connect(s.port, '127.0.0.1');
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.on('error', () => {});
    await once(client, 'connect');
    client.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor(origin.started, 2000, () => 'origin function not called');
    client.end();
    await once(client, 'close');
    assert.equal(origin.settled(), false);
    await waitFor(origin.settled, 2000, () => 'origin function did not settle');
    await waitFor(
      () => s.rejects.length === 1,
      1000,
      () => 'onReject not called',
    );
    assert.deepEqual(s.writes, []);
    assert.deepEqual(received, []);
    assert.equal(s.openSockets(), 0);
    assert.equal(s.rejects[0]?.status, undefined);
    assert.equal(s.rejects[0]?.reason, 'origin-not-allowed');
    assert.match(
      lines.join('\n'),
      /client closed "\/" https:\/\/evil\.example before the decision \(origin-not-allowed\)/,
    );
  });

  test('raw client that resets mid-check: allowed origin is never handed to onAllowed', async (t) => {
    const origin = slowOrigin(150, true);
    const s = await spiedServer(t, origin.fn);
    const client = connect(s.port, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    client.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor(origin.started, 2000, () => 'origin function not called');
    client.resetAndDestroy();
    await waitFor(origin.settled, 2000, () => 'origin function did not settle');
    await waitFor(
      () => s.openSockets() === 0,
      2000,
      () => 'server socket still open',
    );
    await delay(20);
    assert.equal(s.allowed.length, 0);
    assert.equal(s.connections.length, 0);
    assert.deepEqual(s.writes, []);
  });

  test('control: a client that stays gets its answer after the async check', async (t) => {
    const s = await spiedServer(t, slowOrigin(50, true).fn);
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}`, { origin: 'https://app.example.com' });
    await once(ws, 'open');
    ws.terminate();
    assert.equal(s.allowed.length, 1);
    assert.equal(s.connections.length, 1);
    assert.match(s.writes.join(''), /^HTTP\/1\.1 101 Switching Protocols/);
  });
});

/** A Duplex whose writes never complete, like a client that stopped reading. */
function stalledSocket(): Duplex {
  return new Duplex({ read() {}, write() {} });
}

describe('refuseUpgrade()', () => {
  test('destroys the socket when the response cannot be written within the timeout', async () => {
    const socket = stalledSocket();
    socket.on('error', destroyOnError);
    // The guard's timer is unref'd (a real socket keeps the process alive); this stub does not.
    const keepAlive = setTimeout(() => {}, 2000);
    const started = Date.now();
    assert.equal(refuseUpgrade(socket, 403, 60), true);
    assert.equal(socket.destroyed, false);
    await once(socket, 'close');
    clearTimeout(keepAlive);
    assert.ok(Date.now() - started >= 55, 'not before the timeout');
    assert.equal(socket.destroyed, true);
  });

  test('writes the full response and destroys the socket once it is flushed', async () => {
    const chunks: string[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('latin1'));
        callback();
      },
    });
    refuseUpgrade(socket, 404, 5000);
    await once(socket, 'close');
    assert.equal(
      chunks.join(''),
      'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found',
    );
  });

  test('writes nothing to a socket that is already closed in either direction', async () => {
    const destroyed = stalledSocket();
    destroyed.destroy();
    assert.equal(refuseUpgrade(destroyed, 403, 5000), false);

    const halfClosed = stalledSocket();
    const written: unknown[] = [];
    halfClosed.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof halfClosed.write;
    halfClosed.push(null); // the client's FIN
    halfClosed.resume();
    await once(halfClosed, 'end');
    assert.equal(socketGone(halfClosed), true);
    assert.equal(refuseUpgrade(halfClosed, 403, 5000), false);
    assert.equal(halfClosed.destroyed, true);
    assert.deepEqual(written, []);
  });

  test('destroyOnError destroys the socket it is attached to', () => {
    const socket = stalledSocket();
    socket.on('error', destroyOnError);
    socket.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    assert.equal(socket.destroyed, true);
  });
});

describe('upgradeGuard: the application handler', () => {
  test('onAllowed that throws: the socket is destroyed and the error reaches the caller', async (t) => {
    const guard = upgradeGuard(createCorsPolicy({ origin: 'https://app.example.com', env: {} }), () => {
      throw new Error('handler bug');
    });
    const server = createServer();
    const errors: unknown[] = [];
    let serverSocket: Duplex | undefined;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      serverSocket = socket;
      try {
        guard(req, socket, head);
      } catch (err) {
        errors.push(err);
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    client.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await once(client, 'close');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler bug/);
    assert.equal(serverSocket?.destroyed, true);
  });
});

describe('upgradeGuard: the application handler after an async check', () => {
  test('onAllowed that throws after an async origin check: socket destroyed, error uncaught as from any listener', async () => {
    // In a child process: the error must surface as an uncaught exception, which would end this runner.
    const guardUrl = new URL('../../src/websocket/upgrade-guard.ts', import.meta.url).href;
    const script = `
      import { createServer } from 'node:http';
      import { connect } from 'node:net';
      import { upgradeGuard } from ${JSON.stringify(guardUrl)};
      let serverSocket;
      const guard = upgradeGuard({ origin: async () => true, env: {} }, () => { throw new Error('async handler bug'); });
      const server = createServer();
      server.on('upgrade', (req, socket, head) => { serverSocket = socket; guard(req, socket, head); });
      process.on('uncaughtException', (err) => {
        console.log(JSON.stringify({ message: err.message, destroyed: serverSocket?.destroyed }));
        process.exit(0);
      });
      setTimeout(() => { console.log('no uncaught exception'); process.exit(1); }, 5000).unref();
      server.listen(0, '127.0.0.1', () => {
        const client = connect(server.address().port, '127.0.0.1', () => client.write(${JSON.stringify(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        )}));
        client.on('error', () => {});
      });
    `;
    const { execFile } = await import('node:child_process');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 15_000 },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve(out)),
      );
    });
    assert.deepEqual(JSON.parse(stdout.trim()), { message: 'async handler bug', destroyed: true });
  });
});

test('the guard keeps its error listener until the socket has a new owner that listens for errors', () => {
  const guard = upgradeGuard(createCorsPolicy({ origin: 'https://app.example.com', env: {} }), (req, socket) => {
    if (req.url === '/owned') socket.on('error', () => undefined);
  });
  const handshake = (url: string): Duplex => {
    const socket = new Duplex({
      read() {},
      write(_chunk, _encoding, done) {
        done();
      },
    });
    const req = {
      url,
      method: 'GET',
      headers: {},
      rawHeaders: ['Host', 'api.example.com', 'Origin', 'https://app.example.com'],
      socket: {},
    };
    guard(req as unknown as IncomingMessage, socket, Buffer.alloc(0));
    return socket;
  };
  const owned = handshake('/owned');
  assert.equal(owned.listenerCount('error'), 1, 'only the new owner listens');
  assert.equal(owned.listeners('error').includes(destroyOnError), false);
  const bare = handshake('/bare');
  assert.deepEqual(bare.listeners('error'), [destroyOnError], 'nobody else listens: the guard keeps its listener');
  bare.emit('error', new Error('reset'));
  assert.equal(bare.destroyed, true);
});
