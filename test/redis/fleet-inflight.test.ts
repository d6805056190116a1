/**
 * Requests in flight on a fleet instance (test/fixtures/redis-fleet-server.ts, a real process on
 * a real redis-server) while its policy changes twice: an origin removed and another added through
 * Redis, then a local reconfigure() that drops PUT. A held actual request, a held error answer and
 * a preflight held on originLookup each get the answer of the version they started under (its
 * grant, its refusal with that version in the reason header, its methods); requests started after
 * the changes get the new version's answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLivePolicy, REASON_HEADER } from '../../src/index.js';
import { syncWithRedis, type RedisSync } from '../../src/redis/index.js';
import { redisSkip, startRedis, type RunningRedis } from '../helpers/redis.js';
import { scaled } from '../helpers/time.js';
import { all, answersOf, convergeOnSet, startInstance, type Instance } from './fleet-harness.js';

const KEY = 'cors:fleet-inflight';
const T = { timeout: scaled(120_000) };
const REMOVED = 'https://removed.customer.net';
const ADDED = 'https://added.customer.net';
const LOOKUP = 'https://tenant.lookup.customer.net';

describe('cors-safety/redis: requests in flight across changes', { skip: redisSkip() }, () => {
  let redis: RunningRedis | undefined;
  let writer: RedisSync | undefined;
  let instance: Instance | undefined;

  before(async () => {
    redis = await startRedis();
    writer = await syncWithRedis(createLivePolicy({ origin: false, env: {} }), { url: redis.url, key: KEY });
    instance = await startInstance('a', redis.url, KEY);
  }, T);
  after(async () => {
    await Promise.allSettled([instance?.stop(), writer?.close()]);
    await redis?.dispose();
  }, T);

  it('each request is answered by the version it started under: actual, error and preflight', T, async () => {
    const a = instance as Instance;
    await writer?.add([REMOVED]);
    await convergeOnSet([a], [REMOVED], scaled(10_000));
    const started = (await a.state()).version;
    const get = (path: string, origin: string, method = 'GET'): Promise<Response> =>
      fetch(`${a.url}${path}`, {
        method,
        headers: method === 'OPTIONS' ? { origin, 'access-control-request-method': 'PUT' } : { origin },
        signal: AbortSignal.timeout(scaled(60_000)),
      });
    const held = {
      actual: get('/slow', REMOVED),
      error: get('/slow-error', REMOVED),
      refusedError: get('/slow-error', ADDED),
      preflight: get('/', LOOKUP, 'OPTIONS'),
    };
    // Handled now, awaited below: a failure before then must not leave unhandled rejections behind.
    for (const answer of Object.values(held)) answer.catch(() => {});
    await Promise.all([
      a.waitForArrivals('slow', 1),
      a.waitForArrivals('slow-error', 2),
      a.waitForArrivals('lookup', 1),
    ]);
    assert.equal((await a.state()).version, started, 'nothing changed while the requests started');

    await writer?.remove([REMOVED]);
    await writer?.add([ADDED]);
    await convergeOnSet([a], [ADDED], scaled(10_000));
    const now = await a.reconfigure(['GET']);
    assert.ok(now.version > started + 1, `versions ${started} -> ${now.version}`);
    // The new version is in force for every new request while the old ones are still held.
    assert.deepEqual(await answersOf([a], REMOVED), all([a], 'refused'));
    assert.deepEqual(await answersOf([a], ADDED), all([a], 'granted'));

    a.release();
    const actual = await held.actual;
    assert.equal(actual.status, 200);
    assert.equal(await actual.text(), 'slow');
    assert.equal(actual.headers.get('access-control-allow-origin'), REMOVED, 'its version granted it');
    assert.equal(actual.headers.get(REASON_HEADER), null, 'no refusal of a later version beside the grant');
    const error = await held.error;
    assert.equal(error.status, 410);
    assert.equal(error.headers.get('access-control-allow-origin'), REMOVED, 'the error answer of its version');
    assert.equal(error.headers.get(REASON_HEADER), null);
    const refusedError = await held.refusedError;
    assert.equal(refusedError.status, 410);
    assert.equal(refusedError.headers.get('access-control-allow-origin'), null, 'a later grant never reaches it');
    assert.equal(refusedError.headers.get(REASON_HEADER), `origin-not-allowed; policy-version=${started}`);
    const preflight = await held.preflight;
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), LOOKUP);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, PUT', 'the methods of its version');
    assert.equal(preflight.headers.get(REASON_HEADER), null);

    const later = await get('/', LOOKUP, 'OPTIONS');
    assert.equal(later.headers.get('access-control-allow-methods'), 'GET', 'the methods of the new version');
    assert.equal(later.headers.get(REASON_HEADER), `method-not-allowed; policy-version=${now.version}`);
    const laterError = await get('/error', REMOVED);
    assert.equal(laterError.status, 410);
    assert.equal(laterError.headers.get('access-control-allow-origin'), null);
    assert.equal(laterError.headers.get(REASON_HEADER), `origin-not-allowed; policy-version=${now.version}`);
    const grantedError = await get('/error', ADDED);
    assert.equal(grantedError.headers.get('access-control-allow-origin'), ADDED);
  });
});
