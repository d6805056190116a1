/**
 * A live policy behind the WebSocket adapters with real `ws` and socket.io clients: origins added
 * with update() open sockets on the next handshake, removed ones are refused, and a handshake
 * waiting on originLookup across a reconfigure() is decided by the version it started under.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLivePolicy, createVerifyClient } from '../../src/index.js';
import { clientOutcome, startSocketIo } from '../helpers/socketio.js';
import { scaled } from '../helpers/time.js';
import { startGuard, startWs, wsOutcome } from '../helpers/upgrade-harness.js';

const APP = 'https://app.example.com';
const SHOP = 'https://shop.customer.net';
const T = { timeout: scaled(30_000) };

describe('live policy and WebSocket handshakes', () => {
  it('upgradeGuard: update() opens and closes the door on the next handshake', T, async (t) => {
    const policy = createLivePolicy({ origin: APP, env: {} });
    const ws = await startGuard(t, policy);
    assert.equal((await wsOutcome(ws.url, { origin: SHOP })).kind, 'refused');
    policy.update({ add: ['https://*.customer.net'] });
    assert.equal((await wsOutcome(ws.url, { origin: SHOP })).kind, 'open');
    policy.update({ remove: ['https://*.customer.net'] });
    const refused = await wsOutcome(ws.url, { origin: SHOP });
    assert.equal(refused.kind === 'refused' && refused.status, 403);
  });

  it('createVerifyClient: reconfigure() applies to the next handshake', T, async (t) => {
    const policy = createLivePolicy({ origin: APP, env: {} });
    const ws = await startWs(t, 'server', { verifyClient: createVerifyClient(policy) });
    assert.equal((await wsOutcome(ws.url, { origin: APP })).kind, 'open');
    await policy.reconfigure({ origin: SHOP, env: {} });
    assert.equal((await wsOutcome(ws.url, { origin: APP })).kind, 'refused');
    assert.equal((await wsOutcome(ws.url, { origin: SHOP })).kind, 'open');
  });

  it('a handshake waiting on originLookup is decided by the version it started under', T, async (t) => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const asked = new Promise<void>((resolve) => (started = resolve));
    const lookup = async (): Promise<boolean> => {
      started();
      await gate;
      return true;
    };
    const policy = createLivePolicy({ origin: APP, originLookup: { lookup }, env: {} });
    const ws = await startGuard(t, policy);
    const pending = wsOutcome(ws.url, { origin: SHOP }, scaled(10_000));
    await asked;
    await policy.reconfigure({ origin: APP, env: {} });
    release();
    assert.equal((await pending).kind, 'open', 'version 1 (with the lookup) decided it');
    assert.equal((await wsOutcome(ws.url, { origin: SHOP })).kind, 'refused', 'version 2 has no lookup');
  });

  it('socket.io: createAllowRequest and io.engine.use(corsSafety) follow update()', T, async (t) => {
    const policy = createLivePolicy({ origin: APP, env: {} });
    const io = await startSocketIo(t, policy);
    const before = await clientOutcome(io.url, undefined, SHOP);
    assert.equal(before.kind, 'error');
    policy.update({ add: [SHOP] });
    const after = await clientOutcome(io.url, undefined, SHOP);
    assert.equal(after.kind, 'connected');
    assert.equal(after.kind === 'connected' && after.last, 'websocket');
    policy.update({ remove: [SHOP] });
    assert.equal((await clientOutcome(io.url, ['websocket'], SHOP)).kind, 'error');
  });
});
