// The compiled lookup tables that hold nothing per entry: ExactOrigins (a hash table over a list
// of origins, sized in advance, whose verdicts are made on first use and kept, bounded) and HostRules (a default-port rule kept as
// its text, a port table only when a host has other ports), and the live policy's run-time layer
// and configured-entry check built on them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CorsConfigError, createLivePolicy, createOriginValidator } from '../../src/index.js';
import { ExactOrigins } from '../../src/policy/exact-origins.js';
import { HostRules } from '../../src/policy/host-rules.js';

describe('ExactOrigins', () => {
  test('answers members with a frozen allowed-exact verdict naming the origin as its rule, others with undefined', () => {
    const exact = new ExactOrigins();
    exact.add('https://a.example.com');
    exact.add('capacitor://localhost');
    const verdict = exact.get('https://a.example.com');
    assert.deepEqual(verdict, {
      allowed: true,
      reason: 'allowed-exact',
      origin: 'https://a.example.com',
      rule: 'https://a.example.com',
    });
    assert.ok(Object.isFrozen(verdict));
    assert.equal(exact.get('https://a.example.com'), verdict, 'the second request gets the same object');
    assert.equal(exact.get('https://b.example.com'), undefined);
    assert.equal(exact.get('__proto__'), undefined);
    assert.equal(exact.size, 2);
    assert.deepEqual([...exact.keys()], ['https://a.example.com', 'capacitor://localhost']);
    assert.deepEqual(
      [...exact].map(([origin, v]) => [origin, v.allowed]),
      [
        ['https://a.example.com', true],
        ['capacitor://localhost', true],
      ],
    );
  });

  test('a removed origin is refused even after its verdict was kept', () => {
    const exact = new ExactOrigins();
    exact.add('https://a.example.com');
    assert.ok(exact.get('https://a.example.com'));
    assert.equal(exact.delete('https://a.example.com'), true);
    assert.equal(exact.get('https://a.example.com'), undefined);
    assert.equal(exact.has('https://a.example.com'), false);
    assert.equal(exact.delete('https://a.example.com'), false);
  });

  test('more origins than verdicts kept: every member still allowed, nothing else', () => {
    const exact = new ExactOrigins();
    const origins = Array.from({ length: 10_000 }, (_, i) => `https://t${i}.example.com`);
    for (const origin of origins) exact.add(origin);
    for (let round = 0; round < 2; round++)
      for (const origin of origins) assert.equal(exact.get(origin)?.origin, origin);
    for (let i = 0; i < 10_000; i++) assert.equal(exact.get(`https://u${i}.example.com`), undefined);
  });
});

describe('ExactOrigins as a table', () => {
  const origins = (n: number, prefix = 't'): string[] =>
    Array.from({ length: n }, (_, i) => `https://${prefix}${i}.example.com`);

  test('grows without reserve(), keeps insertion order, and adds a repeated origin once', () => {
    const exact = new ExactOrigins();
    const list = origins(5_000);
    for (const origin of list) assert.equal(exact.add(origin), true);
    assert.equal(exact.add(list[17] as string), false, 'already there');
    assert.equal(exact.size, 5_000);
    assert.deepEqual([...exact.keys()], list);
    for (const origin of list) assert.equal(exact.has(origin), true);
    assert.equal(exact.has('https://t5000.example.com'), false);
    assert.equal(exact.has(`${list[0] as string}x`.repeat(50)), false, 'longer than every member');
  });

  test('reserve() sizes once; removals leave room that later additions reuse; many removals compact', () => {
    const exact = new ExactOrigins();
    exact.reserve(1_000);
    const list = origins(1_000);
    for (const origin of list) exact.add(origin);
    for (const origin of list.slice(0, 900)) assert.equal(exact.delete(origin), true);
    assert.equal(exact.size, 100);
    assert.deepEqual([...exact.keys()], list.slice(900), 'compacted, order kept');
    for (const origin of list.slice(0, 900)) assert.equal(exact.get(origin), undefined);
    // Removed slots and re-added origins: every member found, nothing else.
    for (let round = 0; round < 3; round++) {
      for (const origin of list.slice(0, 50)) exact.add(origin);
      for (const origin of list.slice(0, 50)) assert.equal(exact.delete(origin), true);
    }
    const again = origins(300, 'u');
    for (const origin of again) exact.add(origin);
    assert.equal(exact.size, 400);
    for (const origin of [...list.slice(900), ...again]) assert.equal(exact.get(origin)?.origin, origin);
    for (const origin of list.slice(0, 900)) assert.equal(exact.has(origin), false);
    assert.deepEqual([...exact.keys()], [...list.slice(900), ...again]);
  });

  test('over a shared list: appends only new origins, ignores the other entries, forgets a removed one', () => {
    const rules: string[] = ['https://*.a.example.com'];
    const exact = new ExactOrigins(rules);
    exact.add('https://b.example.com');
    rules.push('/^https:\\/\\/c\\.example\\.com$/');
    exact.add('https://d.example.com');
    assert.equal(exact.add('https://b.example.com'), false);
    // A rule text equal to a member, pushed by someone else, is not a second member.
    rules.push('https://d.example.com');
    for (const origin of origins(40)) exact.add(origin);
    assert.equal(rules.length, 45, 'each origin appended once, after the rules around it');
    assert.deepEqual([...exact.keys()].slice(0, 3), [
      'https://b.example.com',
      'https://d.example.com',
      'https://t0.example.com',
    ]);
    assert.equal(exact.size, 42);
    assert.equal(exact.has('https://*.a.example.com'), false);
    assert.equal(exact.delete('https://b.example.com'), true);
    assert.equal(exact.has('https://b.example.com'), false);
    assert.equal(rules[1], 'https://b.example.com', 'the shared list keeps its text');
    assert.equal([...exact.keys()].includes('https://b.example.com'), false);
    assert.equal(exact.size, 41);
  });

  test('20,000 random additions, removals and lookups answer as a Set does (owned and shared lists)', () => {
    // A small linear congruential generator: the same sequence on every run.
    let seed = 12_345;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (const shared of [false, true]) {
      const rules: string[] = [];
      const exact = shared ? new ExactOrigins(rules) : new ExactOrigins();
      const reference = new Set<string>();
      const order: string[] = [];
      for (let step = 0; step < 20_000; step++) {
        const origin = `https://h${next(600)}.example.com`;
        const action = next(10);
        if (action < 5) {
          assert.equal(exact.add(origin), !reference.has(origin));
          if (!reference.has(origin)) order.push(origin);
          reference.add(origin);
        } else if (action < 8) {
          assert.equal(exact.delete(origin), reference.delete(origin));
          const at = order.indexOf(origin);
          if (at >= 0) order.splice(at, 1);
        } else assert.equal(exact.has(origin), reference.has(origin));
        assert.equal(exact.size, reference.size);
      }
      assert.deepEqual([...exact.keys()], order, shared ? 'shared list' : 'owned list');
      for (let i = 0; i < 600; i++) {
        const origin = `https://h${i}.example.com`;
        assert.equal(exact.get(origin)?.origin, reference.has(origin) ? origin : undefined);
      }
    }
  });

  test('removals and additions at a size just under a power of two do not rebuild the table each time', () => {
    const exact = new ExactOrigins();
    const list = origins(4_095);
    exact.reserve(list.length);
    for (const origin of list) exact.add(origin);
    assert.equal(exact.slotCount, 8_192, 'sized once, load one half');
    // Each pair leaves a removal mark and may take an empty slot: the table fills with marks.
    for (let i = 0; i < 2_000; i++) {
      exact.delete(list[i] as string);
      exact.add(`https://n${i}.example.com`);
    }
    assert.equal(exact.size, 4_095);
    // Rebuilt to a load of at most a quarter, so thousands of pairs passed between rebuilds.
    assert.ok(exact.slotCount >= 4 * exact.size, `${exact.slotCount} slots for ${exact.size}`);
    for (let i = 0; i < 2_000; i++) assert.equal(exact.has(`https://n${i}.example.com`), true);
    for (let i = 0; i < 2_000; i++) assert.equal(exact.has(list[i] as string), false);
  });

  test('keys() running while the list is compacted does not yield what was removed after', () => {
    const exact = new ExactOrigins();
    const list = origins(40);
    for (const origin of list) exact.add(origin);
    const seen: string[] = [];
    for (const origin of exact.keys()) {
      seen.push(origin);
      // At the first key, remove 30 others: the owned list is compacted into a new array.
      if (seen.length === 1) for (const gone of list.slice(5, 35)) exact.delete(gone);
    }
    assert.deepEqual(seen, [...list.slice(0, 5), ...list.slice(35)]);
  });

  test('reserve() of a huge count sizes for a bounded number and the table grows from there', () => {
    const exact = new ExactOrigins();
    exact.reserve(2 ** 40);
    assert.equal(exact.slotCount, 2 ** 23);
    exact.add('https://a.example.com');
    assert.equal(exact.has('https://a.example.com'), true);
  });

  test('a compiled policy lists a repeated exact entry once, in the order first given', () => {
    const policy = createOriginValidator({
      origin: ['https://a.example.com', 'https://*.b.example.com', 'https://a.example.com', 'HTTPS://A.example.com'],
      env: {},
    });
    assert.deepEqual(policy.policy.rules, ['https://a.example.com', 'https://*.b.example.com']);
  });
});

describe('HostRules', () => {
  test('a default-port rule, then other ports and any port on the same host', () => {
    const rules = new HostRules();
    rules.addHost('https', 'a.com', 443, 'r443');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 443 }), 'r443');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 8443 }), undefined);
    rules.addHost('https', 'a.com', 8443, 'r8443');
    rules.addHost('https', 'a.com', 443, 'second');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 443 }), 'r443', 'the first rule is kept');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 8443 }), 'r8443');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 9 }), undefined);
    rules.addHost('https', 'a.com', '*', 'any');
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 9 }), 'any');
    assert.equal(rules.match({ scheme: 'http', host: 'a.com', port: 80 }), undefined, 'schemes stay apart');
    assert.deepEqual(
      [...rules.entries()].map((e) => `${e.kind} ${e.scheme} ${e.host} ${e.port} ${e.rule}`),
      ['host https a.com 443 r443', 'host https a.com 8443 r8443', 'host https a.com * any'],
    );
    rules.removeHost('https', 'a.com', 443);
    assert.equal(rules.match({ scheme: 'https', host: 'a.com', port: 443 }), 'any');
    assert.equal(rules.has('host', 'https', 'a.com', 443), false);
    assert.equal(rules.has('host', 'https', 'a.com', 8443), true);
  });

  test('http subdomain rules use port 80 as the default; removal of the only rule empties the table', () => {
    const rules = new HostRules();
    rules.addSubdomains('http', 'b.com', 80, 'subs');
    assert.equal(rules.match({ scheme: 'http', host: 'x.b.com', port: 80 }), 'subs');
    assert.equal(rules.match({ scheme: 'http', host: 'x.b.com', port: 443 }), undefined);
    assert.equal(rules.match({ scheme: 'http', host: 'b.com', port: 80 }), undefined, 'never the apex');
    assert.equal(rules.has('subdomains', 'http', 'b.com', 80), true);
    assert.equal(rules.has('host', 'http', 'b.com', 80), false);
    rules.removeSubdomains('http', 'b.com', 8080);
    assert.equal(rules.match({ scheme: 'http', host: 'x.b.com', port: 80 }), 'subs', 'another port removes nothing');
    rules.removeSubdomains('http', 'b.com', 80);
    assert.equal(rules.match({ scheme: 'http', host: 'x.b.com', port: 80 }), undefined);
    assert.deepEqual([...rules.entries()], []);
  });
});

describe('live policy on the compact tables', () => {
  const allowed = (policy: Parameters<typeof createOriginValidator>[0], origin: string): boolean => {
    const verdict = createOriginValidator(policy).check(origin);
    assert.ok(!(verdict instanceof Promise));
    return verdict.allowed;
  };

  test('removing a configured pattern or host:* rule is refused; a run-time one is removed', () => {
    const live = createLivePolicy({
      origin: ['https://*.a.example.com', 'http://localhost:*', 'https://*.b.example.com:8443'],
      env: {},
    });
    for (const rule of ['https://*.a.example.com', 'http://localhost:*', 'https://*.b.example.com:8443']) {
      assert.throws(
        () => live.update({ remove: [rule] }),
        (err: unknown) => err instanceof CorsConfigError && err.issues[0]?.code === 'origin-configured',
      );
    }
    live.update({ add: ['https://*.b.example.com'] });
    assert.equal(allowed(live, 'https://x.b.example.com'), true);
    live.update({ remove: ['https://*.b.example.com'] });
    assert.equal(allowed(live, 'https://x.b.example.com'), false);
    assert.equal(allowed(live, 'https://x.b.example.com:8443'), true, 'the configured port stays');
  });

  test('a run-time exact origin removed after requests came from it is refused', () => {
    const live = createLivePolicy({ origin: false, env: {} });
    live.update({ add: ['https://shop.customer.net'] });
    assert.equal(allowed(live, 'https://shop.customer.net'), true);
    live.update({ remove: ['https://shop.customer.net'] });
    assert.equal(allowed(live, 'https://shop.customer.net'), false);
    assert.deepEqual(live.dynamicOrigins, []);
  });
});
