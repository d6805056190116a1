/**
 * upgradeGuard() and createVerifyClient() construction: options are validated once, every problem
 * is listed in one CorsConfigError with the fix, and misuse is caught early.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { CorsConfigError } from '../../src/policy/errors.js';
import { createCorsPolicy } from '../../src/policy/policy.js';
import { createVerifyClient, upgradeGuard, type UpgradeListener } from '../../src/websocket/upgrade-guard.js';

const policy = createCorsPolicy({ origin: 'https://app.example.com', env: {} });
const noop: UpgradeListener = () => {};

/** Runs `fn`, expects a CorsConfigError, and returns its issues as `path code` strings and messages. */
function issuesOf(fn: () => unknown): { keys: string[]; messages: Map<string, string> } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, `expected CorsConfigError, got ${String(err)}`);
    return {
      keys: err.issues.map((issue) => `${issue.path} ${issue.code}`),
      messages: new Map(err.issues.map((issue) => [issue.path, issue.message])),
    };
  }
  assert.fail('expected a CorsConfigError');
}

describe('upgradeGuard: construction', () => {
  test('returns a named listener; a policy and plain options both work', () => {
    const guard = upgradeGuard(policy, noop);
    assert.equal(guard.name, 'corsSafetyUpgradeGuard');
    assert.equal(
      typeof upgradeGuard({ origin: 'https://app.example.com', env: {} }, noop, {
        paths: ['/ws'],
        requireOrigin: true,
      }),
      'function',
    );
  });

  test('lists every problem at once: policy, onAllowed and guard options', () => {
    const { keys, messages } = issuesOf(() =>
      upgradeGuard(
        { origin: 'https://app.example.com/path', trustProxy: true, env: {} } as never,
        'nope' as never,
        {
          paths: ['chat', '/ok', '/q?x=1', 42, '/a b'],
          writeTimeout: 0,
          requireOrign: true,
          requireOrigin: 'yes',
          onReject: 'log',
          unmatchedPath: 'ignore',
        } as never,
      ),
    );
    assert.deepEqual(keys, [
      'trustProxy guard-option-in-policy',
      'origin origin-path',
      'onAllowed on-allowed-type',
      'requireOrign unknown-option',
      'requireOrigin not-boolean',
      'onReject not-function',
      'writeTimeout out-of-range',
      'paths[0] path-not-absolute',
      'paths[2] path-has-query',
      'paths[3] path-type',
      'paths[4] path-whitespace',
      'unmatchedPath unmatched-path-type',
    ]);
    assert.match(messages.get('trustProxy') ?? '', /upgradeGuard\(policy, onAllowed, \{ trustProxy: \.\.\. \}\)/);
    assert.match(messages.get('requireOrign') ?? '', /did you mean "requireOrigin"/);
    assert.match(messages.get('paths[0]') ?? '', /write "\/chat"/);
    assert.match(messages.get('paths[2]') ?? '', /write "\/q"/);
    assert.match(
      messages.get('onAllowed') ?? '',
      /must be a function, got "nope"; pass a function such as \(req, socket, head\) => wss\.handleUpgrade/,
    );
  });

  test('onAllowed problems name the fix', () => {
    const wss = new WebSocketServer({ noServer: true });
    assert.match(
      issuesOf(() => upgradeGuard(policy, wss as never)).messages.get('onAllowed') ?? '',
      /got a WebSocketServer; pass a function/,
    );
    assert.match(
      issuesOf(() => upgradeGuard(policy, { paths: ['/ws'] } as never)).messages.get('onAllowed') ?? '',
      /options go third/,
    );
    assert.match(
      issuesOf(() => upgradeGuard(policy, undefined as never)).messages.get('onAllowed') ?? '',
      /got undefined/,
    );
  });

  test('other option mistakes', () => {
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, [] as never)).keys, ['(options) options-type']);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { paths: [] })).keys, ['paths paths-empty']);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { paths: '/ws' as never })).keys, ['paths paths-type']);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { paths: [`/${'a'.repeat(3000)}`] })).keys, [
      'paths[0] path-too-long',
    ]);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { unmatchedPath: 'destroy' })).keys, [
      'unmatchedPath unmatched-path-without-paths',
    ]);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { origin: 'https://x.example' } as never)).keys, [
      'origin policy-option-in-guard-options',
    ]);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { frobnicate: 1 } as never)).keys, [
      'frobnicate unknown-option',
    ]);
    assert.deepEqual(issuesOf(() => upgradeGuard(policy, noop, { writeTimeout: 1.5 })).keys, [
      'writeTimeout out-of-range',
    ]);
  });

  test("server.on('upgrade', upgradeGuard) without calling it: the socket is destroyed and the error says how to fix it", () => {
    const socket = new PassThrough();
    const req = { headers: {}, method: 'GET', socket };
    const { keys, messages } = issuesOf(() =>
      (upgradeGuard as unknown as UpgradeListener)(req as never, socket, Buffer.alloc(0)),
    );
    assert.deepEqual(keys, ['(arguments) guard-not-called']);
    assert.match(messages.get('(arguments)') ?? '', /server\.on\('upgrade', upgradeGuard\(policy, onAllowed\)\)/);
    assert.equal(socket.destroyed, true);
  });

  test('errors other than configuration errors are not swallowed', () => {
    const hostile = {
      get origin(): never {
        throw new RangeError('boom');
      },
    };
    assert.throws(() => upgradeGuard(hostile, noop), RangeError);
  });

  test('a policy that allows any origin warns once: browsers send cookies with WebSocket handshakes', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      upgradeGuard({ origin: '*', env: {} }, noop);
      createVerifyClient({ origin: true, env: {} });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'CORS_SAFETY_UPGRADE_ANY_ORIGIN');
    assert.equal(ours.length, 1);
    assert.match(ours[0]?.message ?? '', /send cookies with WebSocket handshakes/);
  });
});

describe('createVerifyClient: construction', () => {
  test('accepts the decision options only, and says where the others went', () => {
    const { keys, messages } = issuesOf(() =>
      createVerifyClient(policy, { paths: ['/ws'], writeTimeout: 10, requireOrigin: 1 } as never),
    );
    assert.deepEqual(keys, ['paths unknown-option', 'writeTimeout unknown-option', 'requireOrigin not-boolean']);
    assert.match(messages.get('paths') ?? '', /WebSocketServer's own path option/);
    assert.match(messages.get('writeTimeout') ?? '', /ws writes the refusal itself/);
  });

  test('guard options inside the policy options are pointed to the second argument', () => {
    const { keys, messages } = issuesOf(() =>
      createVerifyClient({ origin: 'https://app.example.com', requireOrigin: true, env: {} } as never),
    );
    assert.deepEqual(keys, ['requireOrigin guard-option-in-policy']);
    assert.match(messages.get('requireOrigin') ?? '', /createVerifyClient\(policy, \{ requireOrigin: \.\.\. \}\)/);
  });
});
