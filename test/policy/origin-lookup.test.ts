/**
 * The originLookup option: consulted only when no rule matches, answers cached with their own
 * TTLs, allowed and denied answers bounded apart (a flood of denied origins never evicts an
 * allowed one), one call per origin at a time, and a failure or timeout denies unless a cached
 * answer is still within staleIfError. Time is node:test's mock clock, never a real wait.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import {
  CorsConfigError,
  createCorsPolicy,
  createLivePolicy,
  createOriginValidator,
  invalidateOriginLookup,
  type OriginLookupOptions,
  type OriginVerdict,
} from '../../src/index.js';
import { compiledPolicy } from '../../src/policy/policy.js';

const APP = 'https://app.example.com';
const TENANT = 'https://shop.customer.net';

/** A lookup that counts its calls and allows the origins in `allowed`. */
function counting(allowed: ReadonlySet<string>): { calls: string[]; lookup: OriginLookupOptions['lookup'] } {
  const calls: string[] = [];
  return { calls, lookup: (origin) => (calls.push(origin), allowed.has(origin)) };
}

async function check(policy: ReturnType<typeof createCorsPolicy>, origin: string): Promise<OriginVerdict> {
  return await createOriginValidator(policy).check(origin);
}

describe('originLookup', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('is consulted only when no rule matches, and keyed by the validated origin', async () => {
    const { calls, lookup } = counting(new Set([TENANT]));
    const policy = createCorsPolicy({ origin: APP, originLookup: { lookup }, env: {} });
    assert.equal((await check(policy, APP)).reason, 'allowed-exact');
    assert.equal(Object.hasOwn(await check(policy, APP), 'lookup'), false, 'a rule decided: no lookup result');
    const verdict = await check(policy, TENANT);
    assert.deepEqual([verdict.allowed, verdict.reason], [true, 'allowed-lookup']);
    assert.equal((await check(policy, 'HTTPS://shop.customer.net')).reason, 'origin-malformed');
    assert.equal((await check(policy, 'https://shop.customer.net/')).reason, 'origin-malformed');
    assert.deepEqual(calls, [TENANT], 'list hits and malformed values never reach the lookup');
  });

  it('reuses allowed answers for ttl and denied answers for negativeTtl', async () => {
    const { calls, lookup } = counting(new Set([TENANT]));
    const policy = createCorsPolicy({ origin: APP, originLookup: { lookup, ttl: 1000, negativeTtl: 100 }, env: {} });
    const evil = 'https://evil.example';
    for (let i = 0; i < 3; i++) {
      assert.equal((await check(policy, TENANT)).allowed, true);
      assert.equal((await check(policy, evil)).allowed, false);
    }
    assert.deepEqual(calls, [TENANT, evil]);
    mock.timers.tick(101);
    await check(policy, TENANT);
    await check(policy, evil);
    assert.deepEqual(calls, [TENANT, evil, evil], 'the denied answer expired, the allowed one did not');
    mock.timers.tick(900);
    await check(policy, TENANT);
    assert.deepEqual(calls, [TENANT, evil, evil, TENANT]);
    invalidateOriginLookup(policy, TENANT);
    await check(policy, TENANT);
    assert.equal(calls.length, 5, 'invalidate(origin) drops that answer');
  });

  it('a flood of 100,000 distinct denied origins stays bounded and never evicts an allowed answer', async () => {
    const { calls, lookup } = counting(new Set([TENANT]));
    const policy = createCorsPolicy({ origin: APP, originLookup: { lookup, maxEntries: 1000 }, env: {} });
    await check(policy, TENANT);
    for (let i = 0; i < 100_000; i++) await check(policy, `https://a${i}.attacker.example`);
    const sizes = compiledPolicy(policy).lookup?.sizes;
    assert.deepEqual(sizes, { allowed: 1, denied: 1000 });
    assert.equal((await check(policy, TENANT)).allowed, true);
    assert.equal(calls.filter((origin) => origin === TENANT).length, 1, 'the allowed answer is still cached');
  });

  it('1,000 concurrent requests for one origin share one call', async () => {
    let calls = 0;
    let answer: (value: boolean) => void = () => {};
    const lookup = (): Promise<boolean> => {
      calls += 1;
      return new Promise((resolve) => (answer = resolve));
    };
    const validator = createOriginValidator({ origin: APP, originLookup: { lookup }, env: {} });
    const pending = Array.from({ length: 1000 }, () => validator.check(TENANT));
    assert.ok(pending.every((verdict) => verdict instanceof Promise));
    answer(true);
    const verdicts = await Promise.all(pending);
    assert.equal(calls, 1);
    assert.ok(verdicts.every((verdict) => verdict.allowed && verdict.reason === 'allowed-lookup'));
    const results = verdicts.map((verdict) => verdict.lookup?.cache);
    assert.deepEqual([results[0], results.filter((cache) => cache === 'shared').length], ['miss', 999]);
    assert.equal(typeof verdicts[0]!.lookup?.durationMs, 'number', 'the call is measured on the request that made it');
    assert.equal(verdicts[1]!.lookup?.durationMs, null, 'and only there');
  });

  it('a timeout or an error denies (fail closed) without a stale answer', async () => {
    const never = createOriginValidator({
      origin: APP,
      originLookup: { lookup: () => new Promise(() => {}), timeout: 50 },
      env: {},
    });
    const waiting = never.check(TENANT);
    mock.timers.tick(50);
    const timedOut = await waiting;
    assert.deepEqual(
      [timedOut.allowed, timedOut.reason, timedOut.lookup?.cache],
      [false, 'origin-check-timeout', 'timeout'],
    );
    const throwing = createOriginValidator({
      origin: APP,
      originLookup: {
        lookup: () => {
          throw new Error('database down');
        },
      },
      env: {},
    });
    const failed = await throwing.check(TENANT);
    assert.deepEqual([failed.allowed, failed.reason, failed.lookup?.cache], [false, 'origin-check-failed', 'failed']);
    const rejecting = createOriginValidator({
      origin: APP,
      originLookup: { lookup: () => Promise.reject(new Error('x')) },
      env: {},
    });
    assert.equal((await rejecting.check(TENANT)).reason, 'origin-check-failed');
  });

  it('a failure within staleIfError reuses the expired answer; past it, it denies', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const lookup = (): boolean | Promise<boolean> => {
      if (mode === 'fail') throw new Error('down');
      if (mode === 'hang') return new Promise(() => {});
      return true;
    };
    const policy = createCorsPolicy({
      origin: APP,
      originLookup: { lookup, ttl: 1000, staleIfError: 5000, timeout: 100 },
      env: {},
    });
    assert.equal((await check(policy, TENANT)).allowed, true);
    assert.equal((await check(policy, TENANT)).lookup?.cache, 'hit');
    mock.timers.tick(2000);
    mode = 'fail';
    const afterError = await check(policy, TENANT);
    assert.deepEqual(
      [afterError.reason, afterError.lookup?.cache],
      ['allowed-lookup', 'stale'],
      'stale answer after an error',
    );
    mode = 'hang';
    const hanging = check(policy, TENANT);
    mock.timers.tick(100);
    const afterTimeout = await hanging;
    assert.deepEqual(
      [afterTimeout.reason, afterTimeout.lookup?.cache],
      ['allowed-lookup', 'stale'],
      'stale after a timeout',
    );
    mock.timers.tick(4000);
    mode = 'fail';
    assert.equal((await check(policy, TENANT)).reason, 'origin-check-failed', 'past staleIfError it fails closed');
  });

  it('validates the option with every problem at once', () => {
    assert.throws(
      () =>
        createCorsPolicy({
          origin: APP,
          originLookup: { lookup: 'db' as never, ttl: -1, timeout: 1.5, cache: true } as never,
          env: {},
        }),
      (err: unknown) =>
        err instanceof CorsConfigError &&
        err.issues.map((issue) => issue.path).join() ===
          'originLookup.cache,originLookup.lookup,originLookup.ttl,originLookup.timeout',
    );
  });

  it("a live policy's invalidate() drops every cached answer", async () => {
    const { calls, lookup } = counting(new Set([TENANT]));
    const live = createLivePolicy({ origin: APP, originLookup: { lookup }, env: {} });
    await check(live, TENANT);
    await check(live, TENANT);
    live.invalidate();
    await check(live, TENANT);
    assert.equal(calls.length, 2);
  });
});
