/**
 * WebTransport sessions never reach engine.io's `allowRequest` (engine.io 6 calls
 * `onWebTransportSession(session)` without it), so createAllowRequest() warns once when engine.io's
 * transports include "webtransport", and the documented setup's `io.engine.use(corsSafety(policy))`
 * makes engine.io close every WebTransport session. Real socket.io servers; the session handed to
 * engine.io is the smallest object engine.io reads before it decides (no HTTP/3 stack here).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCorsPolicy } from '../../src/index.js';
import { clientOutcome, startSocketIo } from '../helpers/socketio.js';
import { collectWarnings } from '../helpers/upgrade-harness.js';

const ALLOWED = 'https://app.example.com';
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });

function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A WebTransport session as engine.io reads it: one that never opens a stream, and records close(). */
function session(): { closed: boolean; close(): void; incomingBidirectionalStreams: ReadableStream } {
  return {
    closed: false,
    close() {
      this.closed = true;
    },
    incomingBidirectionalStreams: new ReadableStream({ start: (controller) => controller.close() }),
  };
}

type Engine = { onWebTransportSession(s: unknown): Promise<void> };

describe('createAllowRequest(): WebTransport', () => {
  test('no warning without "webtransport" in transports', async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_SOCKETIO_WEBTRANSPORT');
    const h = await startSocketIo(t, policy);
    assert.equal((await clientOutcome(h.url, ['polling'], ALLOWED)).kind, 'connected');
    await nextTick();
    assert.deepEqual(warnings, []);
  });

  test('the documented setup (io.engine.use(corsSafety(policy))) closes every WebTransport session', async (t) => {
    const h = await startSocketIo(t, policy, { server: { transports: ['polling', 'websocket', 'webtransport'] } });
    const s = session();
    await (h.io.engine as unknown as Engine).onWebTransportSession(s);
    assert.equal(s.closed, true);
  });

  test('one warning naming the gap and the fix when "webtransport" is enabled; polling is still decided', async (t) => {
    const warnings = collectWarnings(t, 'CORS_SAFETY_SOCKETIO_WEBTRANSPORT');
    const h = await startSocketIo(t, policy, {
      server: { transports: ['polling', 'websocket', 'webtransport'] },
      withoutMiddleware: true,
    });
    assert.equal((await clientOutcome(h.url, ['polling'], 'https://evil.example')).kind, 'error');
    assert.equal((await clientOutcome(h.url, ['polling'], ALLOWED)).kind, 'connected');
    await nextTick();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /never calls allowRequest for a WebTransport session/);
    assert.match(warnings[0]?.message ?? '', /Remove "webtransport" from transports/);
    // Without a middleware engine.io does not close it: it goes on to read its streams (what the warning is about).
    const s = session();
    await (h.io.engine as unknown as Engine).onWebTransportSession(s);
    assert.equal(s.closed, false);
  });
});
