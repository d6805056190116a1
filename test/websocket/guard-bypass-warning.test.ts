/**
 * upgradeGuard(): another `upgrade` listener on the same server sees every handshake and can
 * bypass the guard; the guard warns once (process warning and debug log). warnOnce() is once per
 * process, so this file runs the quiet cases first and the warning case last.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { WebSocketServer } from 'ws';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { upgradeGuard } from '../../src/websocket/upgrade-guard.js';
import { captureUpgradeLog, collectWarnings, wsOutcome } from '../helpers/upgrade-harness.js';

const policy = createCorsPolicy({ origin: 'https://app.example.com', env: {} });

async function serve(t: TestContext, setup: (server: ReturnType<typeof createServer>) => void): Promise<string> {
  const server = createServer();
  setup(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('upgradeGuard: bypass warning', () => {
  test('no warning when the guard is the only upgrade listener, or wrapped in one', async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_UPGRADE_BYPASS');
    const wss = new WebSocketServer({ noServer: true });
    t.after(() => wss.close());
    wss.on('connection', (ws) => ws.on('error', () => {}));
    const onAllowed = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        wss.emit('connection', ws, req);
        ws.terminate();
      });
    const direct = await serve(t, (server) => server.on('upgrade', upgradeGuard(policy, onAllowed)));
    const guard = upgradeGuard(policy, onAllowed);
    const wrapped = await serve(t, (server) =>
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => guard(req, socket, head)),
    );
    assert.deepEqual(await wsOutcome(direct, { origin: 'https://app.example.com' }), { kind: 'open' });
    assert.deepEqual(await wsOutcome(wrapped, { origin: 'https://app.example.com' }), { kind: 'open' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, []);
  });

  test("ws's own { server } listener next to the guard: warned once, naming it", async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_UPGRADE_BYPASS');
    const lines = captureUpgradeLog(t);
    const connections: string[] = [];
    let wss: WebSocketServer | undefined;
    const url = await serve(t, (server) => {
      // Unsafe wiring, documented as such: the guard first, then ws's own listener.
      server.on(
        'upgrade',
        upgradeGuard(policy, () => {}),
      );
      wss = new WebSocketServer({ server });
      wss.on('connection', (ws, req) => {
        ws.on('error', () => {});
        connections.push(req.headers.origin ?? '');
      });
    });
    t.after(() => wss?.close());
    await wsOutcome(url, { origin: 'https://evil.example' });
    await wsOutcome(url, { origin: 'https://evil.example' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]?.message ?? '',
      /1 other 'upgrade' listener \(upgrade\) besides upgradeGuard\(\).*noServer: true/,
    );
    assert.equal(warnings[0]?.name, 'CorsSafetyWarning');
    assert.match(lines.join('\n'), /other 'upgrade' listener/);
  });
});
