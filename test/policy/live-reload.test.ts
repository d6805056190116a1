// reloadDynamicOrigins(): a live policy's run-time origins replaced by a whole set, as the Redis
// mirror does at start, after an outage and every reloadInterval: the set in force afterwards,
// invalid members skipped, removals, nothing done when the set is unchanged, the event loop
// given turns during a long reload, and a closed mirror applying nothing more.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLivePolicy, createOriginValidator } from '../../src/index.js';
import { IssueCollector } from '../../src/policy/errors.js';
import { reloadDynamicOrigins } from '../../src/policy/live-reload.js';
import { yieldToEventLoop } from '../../src/policy/slices.js';

const members = (n: number, prefix = 't'): string[] =>
  Array.from({ length: n }, (_, i) => `https://${prefix}${i}.customer.net`);

describe('reloadDynamicOrigins()', () => {
  test('makes the run-time origins exactly the valid members; invalid ones are counted, not applied', async () => {
    const live = createLivePolicy({ origin: 'https://app.example.com', env: {} });
    live.update({ add: ['https://old.customer.net', 'https://*.keep.customer.net'] });
    const issues = new IssueCollector();
    await reloadDynamicOrigins(
      live,
      ['https://*.keep.customer.net', 'https://new.customer.net', 'not an origin', 'https://*.com', 42],
      'cors:origins',
      issues,
      () => false,
    );
    assert.deepEqual([...live.dynamicOrigins].sort(), ['https://*.keep.customer.net', 'https://new.customer.net']);
    assert.equal(issues.count, 3);
    const check = createOriginValidator(live);
    assert.equal((await check.check('https://new.customer.net')).allowed, true);
    assert.equal((await check.check('https://old.customer.net')).allowed, false);
  });

  test('the set in force already: no new version', async () => {
    const live = createLivePolicy({ origin: false, env: {} });
    live.update({ add: members(10) });
    const version = live.version;
    await reloadDynamicOrigins(live, members(10).reverse(), 'k', new IssueCollector(), () => false);
    assert.equal(live.version, version);
  });

  test('a long reload gives the event loop turns and applies its changes in chunks', async () => {
    const live = createLivePolicy({ origin: false, env: {} });
    live.update({ add: members(3_000, 'gone') });
    let turns = 0;
    let running = true;
    const tick = (): void => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const version = live.version;
    await reloadDynamicOrigins(live, members(50_000), 'k', new IssueCollector(), () => false);
    running = false;
    assert.ok(turns >= 2, `the event loop ran ${turns} times during the reload`);
    assert.equal(live.dynamicOrigins.length, 50_000);
    assert.ok(live.version >= version + 2, 'removals and additions in more than one version');
    const check = createOriginValidator(live);
    assert.equal((await check.check('https://t49999.customer.net')).allowed, true);
    assert.equal((await check.check('https://gone0.customer.net')).allowed, false);
  });

  test('a mirror closed during the reload applies nothing more', async () => {
    const live = createLivePolicy({ origin: false, env: {} });
    await reloadDynamicOrigins(live, members(5_000), 'k', new IssueCollector(), () => true);
    assert.equal(live.dynamicOrigins.length, 0);
  });

  test('a policy not made by createLivePolicy() is a TypeError', async () => {
    await assert.rejects(
      reloadDynamicOrigins({} as never, [], 'k', new IssueCollector(), () => false),
      /not a policy made by createLivePolicy/,
    );
  });
});

describe('yieldToEventLoop()', () => {
  test('falls back to a zero-delay timer where the runtime has no setImmediate (Workers)', async () => {
    const saved = globalThis.setImmediate;
    const ran: string[] = [];
    try {
      // @ts-expect-error -- removed on purpose, as in a runtime without it
      delete globalThis.setImmediate;
      const yielded = yieldToEventLoop().then(() => ran.push('after the yield'));
      ran.push('before');
      await yielded;
    } finally {
      globalThis.setImmediate = saved;
    }
    assert.deepEqual(ran, ['before', 'after the yield']);
  });
});
