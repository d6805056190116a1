/**
 * Refusal hints work when followed: each refused handshake's hint is parsed, applied to the
 * guard's configuration (or the policy, or the proxy's headers), and the same request replayed
 * must then open; where nothing can allow it, the hint says so plainly. Before, the guard told
 * `Origin: http://app.example.com` to add `app.example.com:80` to allowedHosts, which never
 * admits plain http for a non-loopback host. Also: `trustProxy` accepts what Express's
 * `trust proxy` accepts (proxy-addr), and forwarded headers count only from a trusted peer.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CorsConfigError, createCorsPolicy, upgradeGuard, type UpgradeGuardOptions } from '../../src/index.js';
import type { CorsSafetyOptions } from '../../src/policy/options.js';
import { captureUpgradeLog, rawUpgrade, startGuard } from '../helpers/upgrade-harness.js';

const APP = 'https://app.example.com';

interface Scenario {
  readonly name: string;
  readonly policy: CorsSafetyOptions;
  readonly options?: UpgradeGuardOptions;
  /** Header lines of the refused request; `PORT` is replaced with the server's port. */
  readonly lines: readonly string[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'forwarded headers from an untrusted peer',
    policy: { origin: false, allowedHosts: ['app.example.com'] },
    lines: ['Host: 127.0.0.1:PORT', 'X-Forwarded-Host: app.example.com', 'X-Forwarded-Proto: https', `Origin: ${APP}`],
  },
  {
    name: 'a TLS-terminating proxy that sends no X-Forwarded-Proto',
    policy: { origin: false, allowedHosts: ['app.example.com'] },
    lines: ['Host: app.example.com', `Origin: ${APP}`],
  },
  {
    name: 'a proxy that rewrites Host to the backend',
    policy: { origin: false, allowedHosts: ['app.example.com'] },
    lines: ['Host: localhost:PORT', `Origin: ${APP}`],
  },
  {
    name: "the server's own loopback origin, not in allowedHosts",
    policy: { origin: false, allowedHosts: ['app.example.com'] },
    lines: ['Host: 127.0.0.1:PORT', 'Origin: http://127.0.0.1:PORT'],
  },
  {
    name: "the server's own origin over plain http (cannot be allowed through allowedHosts)",
    policy: { origin: false, allowedHosts: ['app.example.com'] },
    lines: ['Host: app.example.com', 'Origin: http://app.example.com'],
  },
  {
    name: 'Origin: null with a policy that allows null for CORS',
    policy: { origin: APP, allowNullOrigin: true },
    lines: ['Host: app.example.com', 'Origin: null'],
  },
];

/** Applies a hint: returns the changed policy, guard options and request lines, or fails the test. */
function applyHint(
  hint: string,
  scenario: Scenario,
  lines: string[],
): { policy: CorsSafetyOptions; options: UpgradeGuardOptions; lines: string[] } {
  const policy: CorsSafetyOptions = { ...scenario.policy };
  const options: UpgradeGuardOptions = { ...scenario.options };
  let applied = false;
  const trust = /set trustProxy: (\[[^\]]*\])/.exec(hint);
  if (trust?.[1] !== undefined) {
    options.trustProxy = JSON.parse(trust[1]) as string[];
    applied = true;
  }
  for (const header of hint.matchAll(/(X-Forwarded-(?:Proto|Host)): ([^\s,]+)/g)) {
    const name = header[1] as string;
    lines = [...lines.filter((line) => !line.toLowerCase().startsWith(name.toLowerCase())), `${name}: ${header[2]}`];
    applied = true;
  }
  const host = /add "([^"]+)" to allowedHosts/.exec(hint);
  if (host?.[1] !== undefined) {
    policy.allowedHosts = [...(policy.allowedHosts as string[]), host[1]];
    applied = true;
  }
  const origin = /list "([^"]+)" in origin/.exec(hint);
  if (origin?.[1] !== undefined) {
    const current = policy.origin;
    policy.origin = current === false || current === undefined ? origin[1] : [current as string, origin[1]];
    applied = true;
  }
  if (/dangerouslyAllowNullOrigin: true/.test(hint)) {
    options.dangerouslyAllowNullOrigin = true;
    applied = true;
  }
  assert.ok(applied, `the hint names a change a user can make: ${hint}`);
  return { policy, options, lines };
}

async function refusalHint(t: TestContext, scenario: Scenario): Promise<{ hint: string; lines: string[] }> {
  const log = captureUpgradeLog(t);
  const h = await startGuard(t, { ...scenario.policy, env: {} }, scenario.options);
  const lines = scenario.lines.map((line) => line.replaceAll('PORT', String(h.port)));
  const refused = await rawUpgrade(h.port, lines);
  assert.equal(refused.status, 403);
  const hint = /hint: (.*)$/.exec(log.join('\n'))?.[1];
  assert.ok(hint !== undefined, `a hint is logged: ${log.join('\n')}`);
  return { hint, lines };
}

describe('upgradeGuard: every refusal hint works when followed', () => {
  for (const scenario of SCENARIOS) {
    test(scenario.name, async (t) => {
      const { hint, lines } = await refusalHint(t, scenario);
      const fixed = applyHint(hint, scenario, lines);
      if (/cannot allow|refuses Origin: null/.test(hint))
        assert.match(hint, /\bcannot\b|refuses/, 'says plainly what cannot be allowed');
      const h = await startGuard(t, { ...fixed.policy, env: {} }, fixed.options);
      // The same request: Host names the first server's port, which is what the guard compares.
      const answer = await rawUpgrade(h.port, fixed.lines);
      assert.equal(answer.status, 101, `after applying "${hint}"`);
    });
  }
});

describe("upgradeGuard: trustProxy accepts Express's trust proxy values", () => {
  const policy = createCorsPolicy({ origin: false, allowedHosts: ['app.example.com'], env: {} });
  const viaProxy = (port: number) => [
    `Host: 127.0.0.1:${port}`,
    'X-Forwarded-Host: app.example.com',
    'X-Forwarded-Proto: https',
    `Origin: ${APP}`,
  ];
  const cases: [string, UpgradeGuardOptions['trustProxy'], number][] = [
    ['true', true, 101],
    ["'loopback' (the test client is on 127.0.0.1)", 'loopback', 101],
    ["'127.0.0.1, 10.0.0.1' (a comma-separated list)", '127.0.0.1, 10.0.0.1', 101],
    ['a subnet that includes the peer', ['127.0.0.0/8'], 101],
    ['a subnet that does not include the peer', ['10.0.0.0/8'], 403],
    ['a hop count of 1', 1, 101],
    ['a hop count of 0', 0, 403],
    ['a function that trusts the peer', (address: string) => address.endsWith('127.0.0.1'), 101],
    ['a function that throws', () => assert.fail('boom'), 403],
    ['false', false, 403],
  ];
  for (const [name, trustProxy, status] of cases) {
    test(name, async (t) => {
      const h = await startGuard(t, policy, { trustProxy });
      assert.equal((await rawUpgrade(h.port, viaProxy(h.port))).status, status);
    });
  }

  test('invalid values throw CorsConfigError naming the fix', () => {
    for (const trustProxy of ['not-an-address', -1, 1.5, [1], {}] as unknown[]) {
      assert.throws(
        () => upgradeGuard(policy, () => {}, { trustProxy } as UpgradeGuardOptions),
        (err: unknown) =>
          err instanceof CorsConfigError && err.issues.some((issue) => issue.code === 'trust-proxy-invalid'),
        String(trustProxy),
      );
    }
  });
});

describe('refusal hints never call the origin function again (issue #19)', () => {
  // A refused handshake from behind a proxy: the hint replays it under a trusted peer and under
  // forwarded headers (three decisions), none of them same-origin with an allowed host, so each
  // replay reached the origin function again (a database lookup in real code).
  const cases: [string, readonly string[]][] = [
    [
      'forwarded host from an untrusted peer, loopback Host',
      ['Host: localhost:PORT', 'X-Forwarded-Host: app.example.com', `Origin: ${APP}`],
    ],
    ['a proxy that rewrites Host to the backend', ['Host: localhost:PORT', `Origin: ${APP}`]],
    ['the same host over another scheme', ['Host: app.example.com', 'X-Forwarded-Proto: http', `Origin: ${APP}`]],
  ];
  for (const [name, template] of cases) {
    test(name, async (t) => {
      let calls = 0;
      const lookup = (origin: string): boolean => {
        calls++;
        return origin === 'https://never.example';
      };
      const log = captureUpgradeLog(t);
      const h = await startGuard(t, { origin: lookup, env: {} });
      const lines = template.map((line) => line.replaceAll('PORT', String(h.port)));
      assert.equal((await rawUpgrade(h.port, lines)).status, 403);
      assert.match(log.join('\n'), /refused/, 'the refusal was logged (hints are computed for the debug log)');
      assert.equal(calls, 1, `the origin function ran ${calls} times for one handshake`);
    });
  }
});
