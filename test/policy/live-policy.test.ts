/**
 * createLivePolicy(): reconfigure() validates everything and swaps the whole policy or nothing,
 * update() adds and removes exact origins and patterns all-or-nothing, the version grows with
 * every change, and a snapshot taken before a change keeps deciding as it did.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CorsConfigError,
  createCorsPolicy,
  createLivePolicy,
  createOriginValidator,
  isCorsPolicy,
} from '../../src/index.js';
import { decideOrigin } from '../../src/policy/origin-check.js';
import { compiledPolicy } from '../../src/policy/policy.js';

const APP = 'https://app.example.com';
const SHOP = 'https://shop.customer.net';

function allowed(policy: Parameters<typeof createOriginValidator>[0], origin: string): boolean {
  const verdict = createOriginValidator(policy).check(origin);
  assert.ok(!(verdict instanceof Promise));
  return verdict.allowed;
}

function configIssues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, `expected CorsConfigError, got ${String(err)}`);
    return err.issues.map((issue) => `${issue.path}: ${issue.code}`);
  }
  assert.fail('expected a CorsConfigError');
}

describe('createLivePolicy', () => {
  it('is a policy, starts at version 1, and an immutable policy stays at version 0', () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    assert.ok(isCorsPolicy(live));
    assert.equal(live.version, 1);
    assert.equal(compiledPolicy(live).version, 1);
    assert.equal(compiledPolicy(createCorsPolicy({ origin: APP, env: {} })).version, 0);
    assert.equal(createCorsPolicy(live), live, 'createCorsPolicy() hands a live policy back unchanged');
  });

  it('update() adds and removes exact origins and *. patterns; each change is one version', () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    assert.equal(allowed(live, SHOP), false);
    live.update({ add: [SHOP, 'https://*.preview.example.org'] });
    assert.equal(live.version, 2);
    assert.equal(allowed(live, SHOP), true);
    assert.equal(allowed(live, 'https://pr-42.preview.example.org'), true);
    assert.equal(allowed(live, 'https://preview.example.org'), false, 'a *. pattern never matches its apex');
    assert.deepEqual(live.dynamicOrigins, [SHOP, 'https://*.preview.example.org']);
    assert.deepEqual(live.rules, [APP, SHOP, 'https://*.preview.example.org']);
    live.update({ remove: ['https://*.preview.example.org'] });
    assert.equal(live.version, 3);
    assert.equal(allowed(live, 'https://pr-42.preview.example.org'), false);
    assert.equal(allowed(live, SHOP), true);
    live.update({ remove: ['https://never-added.example'], add: [SHOP] });
    assert.equal(live.version, 3, 'a change that changes nothing is no new version');
  });

  it('update() validates every entry first: one bad entry throws and nothing is applied', () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    const issues = configIssues(() =>
      live.update({ add: [SHOP, 'https://bad.example/path', 'https://*.com', 42 as unknown as string] }),
    );
    assert.equal(issues.length, 3, issues.join('\n'));
    assert.match(issues[0] ?? '', /^add\[1\]: /);
    assert.match(issues[1] ?? '', /^add\[2\]: /);
    assert.equal(issues[2], 'add[3]: origin-type');
    assert.equal(live.version, 1);
    assert.equal(allowed(live, SHOP), false, 'the good entry of a refused update is not applied');
    assert.deepEqual(
      configIssues(() => live.update({ remove: [APP] })),
      ['remove: origin-configured'],
    );
    assert.equal(allowed(live, APP), true);
    assert.deepEqual(
      configIssues(() => live.update({ added: [SHOP] } as never)),
      ['added: unknown-option'],
    );
  });

  it('run-time *. patterns over a domain with a public suffix below it are refused like options', async () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    assert.deepEqual(
      configIssues(() => live.update({ add: ['https://*.amazonaws.com'] })),
      ['add[0]: origin-public-suffix-below'],
    );
    assert.equal(live.version, 1);
    assert.equal(allowed(live, 'https://attacker-bucket.s3.amazonaws.com'), false);
    // A list long enough to be compiled in slices keeps the explicit option of its options.
    const many = Array.from({ length: 600 }, (_, i) => `https://tenant-${i}.example.net`);
    await assert.rejects(live.reconfigure({ origin: [...many, 'https://*.amazonaws.com'], env: {} }), CorsConfigError);
    await live.reconfigure({
      origin: [...many, 'https://*.amazonaws.com'],
      dangerouslyAllowPublicSuffixesUnderWildcards: true,
      env: {},
    });
    assert.equal(allowed(live, 'https://my-bucket.s3.amazonaws.com'), true);
  });
  it('reconfigure() swaps the whole policy; an invalid one rejects and leaves the old in force', async () => {
    const live = createLivePolicy({ origin: APP, methods: ['GET', 'POST'], env: {} });
    live.update({ add: [SHOP] });
    await assert.rejects(
      live.reconfigure({ origin: ['https://ok.example', 'https://bad.example/path'], methods: [], env: {} }),
      (err: unknown) => err instanceof CorsConfigError && err.issues.length === 2,
    );
    assert.equal(live.version, 2);
    assert.deepEqual(live.methods, ['GET', 'POST']);
    assert.equal(allowed(live, APP), true);
    await live.reconfigure({ origin: 'https://admin.example.com', methods: 'GET', env: {} });
    assert.equal(live.version, 3);
    assert.deepEqual(live.methods, ['GET']);
    assert.equal(allowed(live, APP), false);
    assert.equal(allowed(live, 'https://admin.example.com'), true);
    assert.equal(allowed(live, SHOP), true, 'origins added by update() stay across reconfigure()');
  });

  it('a snapshot taken before a change keeps deciding as that version did', async () => {
    const live = createLivePolicy({ origin: APP, methods: 'GET', env: {} });
    const before = compiledPolicy(live);
    await live.reconfigure({ origin: SHOP, methods: ['GET', 'PUT'], env: {} });
    const after = compiledPolicy(live);
    assert.notEqual(before, after);
    assert.equal(before.version, 1);
    assert.equal(after.version, 2);
    assert.equal((decideOrigin(before, APP) as { allowed: boolean }).allowed, true);
    assert.equal((decideOrigin(after, APP) as { allowed: boolean }).allowed, false);
    assert.equal(before.methodsHeader, 'GET');
    assert.equal(after.methodsHeader, 'GET, PUT');
  });

  it('origin: false plus update() allows only what was added, answered as an allow-list', () => {
    const live = createLivePolicy({ origin: false, env: {} });
    assert.equal(live.mode, 'disabled');
    assert.equal(allowed(live, SHOP), false);
    live.update({ add: [SHOP] });
    assert.equal(live.mode, 'allow-list', 'so responses carry Vary: Origin');
    assert.equal(allowed(live, SHOP), true);
    assert.equal(allowed(live, 'https://other.customer.net'), false);
    live.update({ remove: [SHOP] });
    assert.equal(live.mode, 'disabled');
    assert.equal(allowed(live, SHOP), false);
  });

  it('the live policy cannot be reconfigured with itself', async () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    await assert.rejects(live.reconfigure(live), TypeError);
    assert.equal(live.version, 1);
  });

  it('reconfigure() calls apply in call order, and a long list is compiled without holding the event loop', async () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    const long = Array.from({ length: 30_000 }, (_, i) => `https://tenant${i}.example.net`);
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 0);
    const first = live.reconfigure({ origin: long, env: {} });
    const second = live.reconfigure({ origin: SHOP, env: {} });
    await Promise.all([first, second]);
    clearInterval(ticker);
    assert.equal(live.version, 3);
    assert.equal(allowed(live, SHOP), true, 'the later call is in force');
    assert.equal(allowed(live, 'https://tenant7.example.net'), false);
    assert.ok(turns > 0, 'timers ran while the long list was compiled');
  });

  it('a bad entry deep in a long list rejects with its index, and nothing changes', async () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    const long = Array.from({ length: 5000 }, (_, i) => `https://tenant${i}.example.net`);
    long[4321] = 'https://tenant4321.example.net/path';
    await assert.rejects(
      live.reconfigure({ origin: long, maxAge: -1, env: {} }),
      (err: unknown) =>
        err instanceof CorsConfigError && err.issues.map((issue) => issue.path).join() === 'origin[4321],maxAge',
    );
    assert.equal(live.version, 1);
    assert.equal(allowed(live, APP), true);
  });
});
