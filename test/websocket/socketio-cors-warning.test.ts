/**
 * createAllowRequest() warns once when socket.io's own `cors` option is set as well: two layers
 * then answer CORS for socket.io's requests. Real socket.io servers; warnOnce() is once per
 * process, so the quiet case runs first and the warning case last.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCorsPolicy } from '../../src/index.js';
import { clientOutcome, startSocketIo } from '../helpers/socketio.js';
import { collectWarnings } from '../helpers/upgrade-harness.js';

const ALLOWED = 'https://app.example.com';
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });

/** Process warnings are emitted on the next tick. */
function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("createAllowRequest(): socket.io's own cors option", () => {
  test('no warning without it (cors: false counts as unset)', async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_SOCKETIO_CORS');
    const plain = await startSocketIo(t, policy);
    const off = await startSocketIo(t, policy, { server: { cors: false as never } });
    assert.equal((await clientOutcome(plain.url, ['polling'], ALLOWED)).kind, 'connected');
    assert.equal((await clientOutcome(off.url, ['websocket'], ALLOWED)).kind, 'connected');
    await nextTick();
    assert.deepEqual(warnings, []);
  });

  test('one warning, naming the fix, when it is set; the policy still decides', async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_SOCKETIO_CORS');
    const h = await startSocketIo(t, policy, { server: { cors: { origin: '*' } } });
    assert.equal((await clientOutcome(h.url, ['polling'], ALLOWED)).kind, 'connected');
    assert.equal((await clientOutcome(h.url, ['websocket'], ALLOWED)).kind, 'connected');
    // socket.io's cors option would let any origin in; createAllowRequest() still refuses it.
    assert.equal((await clientOutcome(h.url, ['polling'], 'https://evil.example')).kind, 'error');
    await nextTick();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /cors option is set as well.*io\.engine\.use\(corsSafety\(policy\)\)/s);
  });
});
