/**
 * cors-safety/redis with a real redis-server and three server processes sharing it
 * (test/fixtures/redis-fleet-server.ts), each serving HTTP (Express, corsSafety and
 * corsErrorHandler), a bare `ws` server behind upgradeGuard and socket.io (createAllowRequest), all
 * on one live policy: every kind of traffic on every instance (an actual request, a preflight and
 * an error answer over fetch, the `ws` client, the socket.io client on each transport, a raw
 * engine.io handshake) grants an added origin and
 * refuses a removed one within one second of the change resolving (the second is scaled on a
 * loaded machine; what was measured is printed); unchanged origins keep their answers while others
 * churn; an instance restarted mid-way, one cut off from Redis and a fleet whose Redis was stopped
 * while origins changed all converge on the set in Redis; the outage is reported on stderr once
 * when it starts and once when it ends. Requests in flight: fleet-inflight.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { CorsConfigError, createLivePolicy } from '../../src/index.js';
import { syncWithRedis, type RedisSync } from '../../src/redis/index.js';
import { redisSkip, startRedis, type RunningRedis } from '../helpers/redis.js';
import { scaled, TIME_SCALE } from '../helpers/time.js';
import {
  all,
  answersOf,
  converge,
  convergeOnSet,
  count,
  startInstance,
  type Convergence,
  type Instance,
} from './fleet-harness.js';
import { startRelay, type RedisRelay } from './redis-relay.js';

const KEY = 'cors:fleet-test';
const T = { timeout: scaled(120_000) };
/** The library's promise is one second; on a loaded machine the assertion allows the scaled second. */
const BOUND = scaled(1000);
/** When a test gives up waiting (a reconnection after an outage has no one-second promise). */
const GIVE_UP = scaled(15_000);

const APP = 'https://app.example.com';
const SHOP = 'https://shop.customer.net';
const PREVIEW = 'https://pr-7.preview.customer.net';

/** Prints what was measured: the first probe that saw the change, per instance and kind (began-ended, ms). */
function report(what: string, measured: Convergence): void {
  const each = Object.entries(measured.each).map(([name, ms]) => `${name} ${ms}`);
  const bound = `asserted <= ${BOUND} ms: 1000 ms scaled by ${TIME_SCALE}`;
  process.stdout.write(`fleet ${what}: within ${measured.slowest} ms (${bound}); ${each.join(', ')}\n`);
}

describe('cors-safety/redis: a fleet of three processes', { skip: redisSkip() }, () => {
  let redis: RunningRedis | undefined;
  let cutOff: RedisRelay | undefined;
  let writer: RedisSync | undefined;
  let reader: ReturnType<typeof createClient> | undefined;
  const instances: Instance[] = [];
  const started: Instance[] = [];
  const start = async (name: string, url: string): Promise<Instance> => {
    const instance = await startInstance(name, url, KEY);
    started.push(instance);
    return instance;
  };
  /** The set in Redis now. */
  const members = async (): Promise<string[]> => (reader === undefined ? [] : (await reader.sMembers(KEY)).sort());

  before(async () => {
    redis = await startRedis();
    cutOff = await startRelay(redis.port);
    writer = await syncWithRedis(createLivePolicy({ origin: false, env: {} }), { url: redis.url, key: KEY });
    reader = createClient({ url: redis.url });
    reader.on('error', () => {});
    await reader.connect();
    const { url } = redis;
    instances.push(...(await Promise.all([start('a', url), start('b', url), start('c', cutOff.url)])));
    // Every kind grants the configured origin: a check of the wiring, and a warm-up of the code
    // paths of a grant, so the first measurement is of the change and not of a cold process.
    assert.deepEqual(await answersOf(instances, APP), all(instances, 'granted'));
  }, T);
  after(async () => {
    // Each step runs whatever an earlier one did: no process or temporary directory is left behind.
    await Promise.allSettled(started.map((instance) => instance.stop()));
    await Promise.allSettled([writer?.close(), reader?.close(), cutOff?.close()]);
    await redis?.dispose();
  }, T);

  it('every kind of traffic on every instance follows an add and a remove within one second', T, async () => {
    assert.deepEqual(await answersOf(instances, SHOP), all(instances, 'refused'));
    await writer?.add([SHOP, 'https://*.preview.customer.net']);
    const added = await converge(instances, SHOP, 'granted', performance.now(), GIVE_UP);
    report('grants an added origin', added);
    assert.deepEqual(await answersOf(instances, PREVIEW), all(instances, 'granted'), 'the pattern too');
    await writer?.remove([SHOP]);
    const removed = await converge(instances, SHOP, 'refused', performance.now(), GIVE_UP);
    report('refuses a removed origin', removed);
    assert.ok(added.slowest <= BOUND, `an add took ${added.slowest} ms (scale ${TIME_SCALE})`);
    assert.ok(removed.slowest <= BOUND, `a remove took ${removed.slowest} ms (scale ${TIME_SCALE})`);
    assert.deepEqual(await answersOf(instances, SHOP), all(instances, 'refused'), 'and stays refused');
    await convergeOnSet(instances, await members(), BOUND);
  });

  it('while other origins churn, every kind keeps granting the allowed and refusing the rest', T, async () => {
    const expected = [...all(instances, 'granted'), ...all(instances, 'refused')];
    const rounds: string[][] = [];
    let churning = true;
    const traffic = (async () => {
      while (churning) rounds.push([...(await answersOf(instances, APP)), ...(await answersOf(instances, SHOP))]);
    })();
    let changes = 0;
    try {
      // Changes keep coming (and keep being announced) until three whole rounds of traffic ran.
      for (let i = 0; rounds.length < 3; i++) {
        await writer?.add([`https://churn-${i}.customer.net`, `https://*.churn-${i}.customer.net`]);
        await writer?.remove([`https://churn-${i}.customer.net`]);
        changes += 2;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      churning = false;
      await traffic;
    }
    process.stdout.write(`fleet churn: ${changes} changes during ${rounds.length} rounds of traffic\n`);
    for (const round of rounds) assert.deepEqual(round, expected);
    await convergeOnSet(instances, await members(), GIVE_UP);
  });

  it('validates origins before writing anything', T, async () => {
    const before = await members();
    await assert.rejects(
      writer?.add(['https://ok.customer.net', 'https://bad.customer.net/path']) ?? Promise.resolve(),
      CorsConfigError,
    );
    assert.deepEqual(await members(), before, 'nothing written to Redis');
    assert.deepEqual(await answersOf(instances, 'https://ok.customer.net'), all(instances, 'refused'));
  });

  it('an instance restarted mid-way loads the whole set before serving, then follows changes', T, async () => {
    const gone = 'https://gone.customer.net';
    await writer?.add([gone]);
    await converge(instances, gone, 'granted', performance.now(), GIVE_UP);
    await (instances[1] as Instance).stop();
    await writer?.add(['https://late.customer.net']);
    await writer?.remove([gone]);
    const fresh = await start('b (restarted)', redis?.url ?? '');
    instances[1] = fresh;
    // Served only once the set is loaded: right from its first request it answers like the others.
    assert.deepEqual(await answersOf([fresh], 'https://late.customer.net'), all([fresh], 'granted'));
    assert.deepEqual(await answersOf([fresh], gone), all([fresh], 'refused'));
    await convergeOnSet(instances, await members(), BOUND);
    await writer?.add(['https://next.customer.net']);
    const next = await converge(instances, 'https://next.customer.net', 'granted', performance.now(), GIVE_UP);
    report('grants an origin added after a restart', next);
    assert.ok(next.slowest <= BOUND, `an add after a restart took ${next.slowest} ms`);
  });

  it('an instance cut off from Redis keeps its last good set, warns once, and converges when back', T, async () => {
    const isolated = instances[2] as Instance;
    const connected = instances.slice(0, 2);
    assert.equal(count(isolated.stderr(), 'CORS_SAFETY_REDIS_DOWN'), 0, isolated.stderr());
    await cutOff?.cut();
    await writer?.add(['https://during-outage.customer.net']);
    await writer?.remove(['https://late.customer.net']);
    const outage = await converge(
      connected,
      'https://during-outage.customer.net',
      'granted',
      performance.now(),
      GIVE_UP,
    );
    assert.ok(outage.slowest <= BOUND, `the connected instances took ${outage.slowest} ms`);
    await waitFor(() => count(isolated.stderr(), 'CORS_SAFETY_REDIS_DOWN') === 1, 'the outage warning');
    const kept = await answersOf([isolated], 'https://late.customer.net');
    assert.deepEqual(kept, all([isolated], 'granted'), 'the last good set stays in force');
    const missed = await answersOf([isolated], 'https://during-outage.customer.net');
    assert.deepEqual(missed, all([isolated], 'refused'));
    await cutOff?.restore();
    await converge(instances, 'https://during-outage.customer.net', 'granted', performance.now(), GIVE_UP);
    await converge(instances, 'https://late.customer.net', 'refused', performance.now(), GIVE_UP);
    await convergeOnSet(instances, await members(), GIVE_UP);
    await waitFor(() => count(isolated.stderr(), 'CORS_SAFETY_REDIS_UP') === 1, 'the recovery warning');
    assert.equal(count(isolated.stderr(), 'CORS_SAFETY_REDIS_DOWN'), 1, isolated.stderr());
    for (const instance of connected) assert.equal(count(instance.stderr(), 'CORS_SAFETY_REDIS'), 0, instance.stderr());
  });

  it('Redis stopped, origins changed meanwhile, Redis started: every instance converges on its set', T, async () => {
    const kept = 'https://during-outage.customer.net';
    await redis?.stop();
    await waitFor(() => instances.every((i) => count(i.stderr(), 'CORS_SAFETY_REDIS_DOWN') >= 1), 'outage warnings');
    assert.deepEqual(await answersOf(instances, kept), all(instances, 'granted'), 'the last good set stays in force');
    // node-redis queues the writes while it reconnects; they reach Redis once it is back.
    const changes = Promise.all([writer?.add(['https://queued.customer.net']), writer?.remove([kept])]);
    await redis?.start();
    await changes;
    await converge(instances, 'https://queued.customer.net', 'granted', performance.now(), GIVE_UP);
    await converge(instances, kept, 'refused', performance.now(), GIVE_UP);
    await convergeOnSet(instances, await members(), GIVE_UP);
    assert.ok((await members()).includes('https://queued.customer.net'));
    // Once each at the start and at the end of each outage: c was cut off once before.
    const outages = new Map(instances.map((instance) => [instance, instance === instances[2] ? 2 : 1]));
    for (const [instance, times] of outages) {
      await waitFor(() => count(instance.stderr(), 'CORS_SAFETY_REDIS_UP') === times, `${instance.name} recovery`);
      assert.equal(count(instance.stderr(), 'CORS_SAFETY_REDIS_DOWN'), times, instance.stderr());
    }
    assert.deepEqual(await answersOf(instances, SHOP), all(instances, 'refused'));
    await writer?.add([SHOP]);
    const added = await converge(instances, SHOP, 'granted', performance.now(), GIVE_UP);
    report('grants an origin added after a Redis restart', added);
    assert.ok(added.slowest <= BOUND, `an add after the restart took ${added.slowest} ms`);
  });
});

/** Polls `condition` (stderr of a child arrives asynchronously) until it holds, or fails after {@link GIVE_UP}. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > GIVE_UP) assert.fail(`${what}: not seen within ${GIVE_UP} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
