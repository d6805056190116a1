// Request and configuration text that names an Object.prototype member (`constructor`,
// `__proto__`, `toString`, ...) is only text: as a scheme, a host, a header name, a method, an
// option key or an environment name it never finds an inherited property, never throws, and
// never grants. `Origin: constructor://localhost` used to throw inside the origin check.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CorsConfigError,
  corsErrorHandler,
  corsSafety,
  createAllowRequest,
  createCorsPolicy,
  createNginxConfig,
  createVerifyClient,
  createOriginValidator,
  upgradeGuard,
} from '../../src/index.js';

const MEMBERS = Object.getOwnPropertyNames(Object.prototype);
const memberArb = fc.oneof(
  fc.constantFrom(...MEMBERS),
  fc.constantFrom(...MEMBERS).map((name) => name.toLowerCase()),
);
/** The places request or configuration text is keyed by: where a member name goes in an origin. */
const originArb = fc
  .tuple(memberArb, fc.constantFrom('s://localhost', 'h://x', 'h://x.com', 'h://x.com:8080'))
  .map(([name, shape]) =>
    shape.startsWith('s') ? `${name}${shape.slice(1)}` : `https://${name.replace(/_/g, 'x')}${shape.slice(4)}`,
  );

describe('Object.prototype member names as request text', () => {
  test('the issue input: Origin constructor://localhost is denied, not thrown, in every entry point', async () => {
    const validator = createOriginValidator({ origin: ['https://app.example.com'], env: {} });
    const verdict = await validator.check('constructor://localhost');
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.reason, 'origin-not-allowed');
  });

  test('property: an origin built from a member name never throws and is never allowed', async () => {
    const validator = createOriginValidator({
      origin: ['https://app.example.com', 'capacitor://localhost', 'https://*.example.com'],
      allowedHosts: ['.example.org'],
      env: {},
    });
    await fc.assert(
      fc.asyncProperty(originArb, async (origin) => {
        const verdict = await validator.check(origin);
        assert.equal(verdict.allowed, false, origin);
      }),
      { numRuns: 300 },
    );
  });

  test('property: as configuration (origins, hosts, headers, methods, option keys, env) it builds or throws CorsConfigError', () => {
    fc.assert(
      fc.property(memberArb, (name) => {
        const attempts: Record<string, unknown>[] = [
          { origin: [`${name}://localhost`] },
          { origin: [`https://${name}.example.com`] },
          { origin: ['https://a.com'], allowedHosts: [name, `.${name}`] },
          { origin: ['https://a.com'], allowedHeaders: [name], exposedHeaders: [name], methods: [name] },
          JSON.parse(`{"origin":["https://a.com"],${JSON.stringify(name)}:1}`) as Record<string, unknown>,
          { env: { CORS_ALLOWED_ORIGINS: `${name}://localhost`, [name]: 'x' } },
        ];
        for (const options of attempts) {
          try {
            const policy = createCorsPolicy({ env: {}, ...options });
            assert.ok(policy.rules.length >= 0);
          } catch (err) {
            assert.ok(err instanceof CorsConfigError, `${name}: ${String(err)}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test('an exact app origin named constructor:// is allowed by its own entry only', async () => {
    const validator = createOriginValidator({ origin: ['constructor://localhost'], env: {} });
    assert.equal((await validator.check('constructor://localhost')).allowed, true);
    assert.equal((await validator.check('tostring://localhost')).allowed, false);
  });
});

describe('Object.prototype member names as option keys of every factory', () => {
  test('each is an unknown option (CorsConfigError), never an inherited value or a TypeError', () => {
    const policy = { origin: 'https://a.com', env: {} };
    for (const name of MEMBERS) {
      const options = JSON.parse(`{${JSON.stringify(name)}: 1}`) as Record<string, never>;
      const factories: [string, () => unknown][] = [
        ['createCorsPolicy', () => createCorsPolicy({ ...policy, ...options })],
        ['corsSafety', () => corsSafety({ ...policy, ...options })],
        ['createNginxConfig', () => createNginxConfig({ ...policy, ...options })],
        ['upgradeGuard', () => upgradeGuard(policy, () => {}, options)],
        ['createVerifyClient', () => createVerifyClient(policy, options)],
        ['createAllowRequest', () => createAllowRequest(policy, options)],
        ['corsErrorHandler', () => corsErrorHandler(policy, options)],
      ];
      for (const [factory, build] of factories) {
        assert.throws(build, (err: unknown) => err instanceof CorsConfigError, `${factory} with key ${name}`);
      }
    }
  });
});
