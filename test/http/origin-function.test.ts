/**
 * Origin functions inside the middleware: a function that throws, rejects, never answers or
 * answers through a `cors`-style callback never crashes the process, never leaves an unhandled
 * rejection and never hangs the request. The request goes on without a grant, the app's
 * handler still runs, and the failure is logged with its reason.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { format } from 'node:util';
import { corsSafety, REASON_HEADER, type CorsSafetyOptions, type OriginOption } from '../../src/index.js';
import { logMiddleware, logOrigin } from '../../src/shared/log.js';
import { HANDLER_RAN, listen, stacks, type Running } from '../helpers/frameworks.js';
import { accessControlNames, call, preflight } from '../helpers/middleware-http.js';

const ORIGIN = 'https://app.example.com';
const TIMEOUT_MS = 60;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);

/** Captures the debug lines of the given namespaces while a test runs. */
function captureLogs(...loggers: (typeof logOrigin)[]): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const saved = loggers.map((logger) => ({ logger, enabled: logger.enabled, log: logger.log }));
  for (const logger of loggers) {
    logger.enabled = true;
    logger.log = (...args: unknown[]) => lines.push(format(...args));
  }
  return {
    lines,
    restore: () => {
      for (const { logger, enabled, log } of saved) {
        logger.enabled = enabled;
        logger.log = log;
      }
    },
  };
}

interface Case {
  readonly name: string;
  readonly origin: OriginOption;
  readonly granted: boolean;
  readonly reason?: string;
  /** Text the debug log must carry. */
  readonly logged?: RegExp;
}

const never = new Promise<boolean>(() => undefined);

const CASES: readonly Case[] = [
  {
    name: 'a function that throws',
    origin: (_origin: string) => {
      throw new Error('lookup table missing');
    },
    granted: false,
    reason: 'origin-check-failed',
    logged: /origin-check-failed.*lookup table missing/,
  },
  {
    name: 'an async function that rejects',
    origin: async (_origin: string) => {
      await Promise.resolve();
      throw new TypeError('database down');
    },
    granted: false,
    reason: 'origin-check-failed',
    logged: /origin-check-failed.*TypeError: database down/,
  },
  {
    name: 'a function that never answers (originCheckTimeout)',
    origin: (_origin: string) => never,
    granted: false,
    reason: 'origin-check-timeout',
    logged: new RegExp(`origin-check-timeout.*no answer within ${TIMEOUT_MS} ms`),
  },
  {
    name: 'a cors-style callback that is never called',
    origin: (_origin: string, _callback: unknown) => undefined,
    granted: false,
    reason: 'origin-check-timeout',
  },
  {
    name: 'a function returning neither true nor false',
    origin: (_origin: string) => 'yes',
    granted: false,
    reason: 'origin-check-failed',
    logged: /return true or false/,
  },
  {
    name: 'an async function resolving false',
    origin: async (_origin: string) => Promise.resolve(false),
    granted: false,
    reason: 'origin-not-allowed',
  },
  {
    name: 'an async function resolving true',
    origin: async (origin: string) => Promise.resolve(origin === ORIGIN),
    granted: true,
  },
  { name: 'a sync function returning true', origin: (origin: string) => origin === ORIGIN, granted: true },
  {
    name: 'a cors-style callback answering later',
    origin: (origin: string, callback: (err: Error | null, allow?: boolean) => void) => {
      setTimeout(() => callback(null, origin === ORIGIN), 5);
    },
    granted: true,
  },
  {
    name: 'a cors-style callback answering with an error',
    origin: (_origin: string, callback: (err: Error | null, allow?: boolean) => void) => {
      setImmediate(() => callback(new Error('denied by callback')));
    },
    granted: false,
    reason: 'origin-check-failed',
    logged: /denied by callback/,
  },
];

for (const stack of stacks) {
  describe(`origin functions on ${stack.name}`, () => {
    const apps = new Map<string, Running>();
    before(async () => {
      for (const c of CASES) {
        const options: CorsSafetyOptions = {
          origin: c.origin,
          credentials: true,
          originCheckTimeout: TIMEOUT_MS,
          env: {},
        };
        apps.set(c.name, await stack.start(options));
      }
    });
    after(async () => {
      await Promise.all([...apps.values()].map((app) => app.close()));
    });

    let logs: ReturnType<typeof captureLogs>;
    beforeEach(() => {
      logs = captureLogs(logOrigin);
    });
    afterEach(() => logs.restore());

    for (const c of CASES) {
      it(`${c.name}: request completes, ${c.granted ? 'granted' : 'no grant'}, handler runs`, async () => {
        const app = apps.get(c.name)!;
        const reply = await call(`${app.url}/ok`, { origin: ORIGIN });
        assert.equal(reply.status, 200);
        assert.equal(reply.body, 'ok');
        assert.equal(reply.headers.get(HANDLER_RAN), '1', "the app's handler still runs");
        if (c.granted) {
          assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
          assert.equal(reply.headers.get('access-control-allow-credentials'), 'true');
        } else {
          assert.deepEqual(accessControlNames(reply.headers), []);
          assert.equal(reply.headers.get(REASON_HEADER), c.reason);
        }
        if (c.logged !== undefined)
          assert.ok(
            logs.lines.some((line) => c.logged!.test(line)),
            `log lines: ${logs.lines.join('\n')}`,
          );
      });

      it(`${c.name}: error responses and preflights are decided the same way`, async () => {
        const app = apps.get(c.name)!;
        const error = await call(`${app.url}/sync-throw`, { origin: ORIGIN });
        assert.equal(error.status, 500);
        assert.equal(error.headers.get('access-control-allow-origin'), c.granted ? ORIGIN : null);
        const pre = await preflight(`${app.url}/ok`, ORIGIN, 'PUT');
        assert.equal(pre.status, c.granted ? 204 : 403);
        assert.equal(pre.headers.get('access-control-allow-origin'), c.granted ? ORIGIN : null);
        assert.equal(pre.headers.get(HANDLER_RAN), null);
      });
    }
  });
}

describe('origin function edge cases', () => {
  it('has a sane default timeout', () => {
    assert.equal(corsSafety({ origin: () => true, env: {} }).policy.originCheckTimeout, 2000);
  });

  it('does not call the origin function for requests without Origin', async () => {
    let calls = 0;
    const app = await stacks[0]!.start({
      origin: () => {
        calls++;
        return true;
      },
      env: {},
    });
    try {
      const reply = await call(`${app.url}/ok`);
      assert.equal(reply.status, 200);
      assert.deepEqual(accessControlNames(reply.headers), []);
      assert.equal(calls, 0);
    } finally {
      await app.close();
    }
  });

  it('a next() that throws after an async check is logged, not an unhandled rejection', async () => {
    const logs = captureLogs(logMiddleware);
    const cors = corsSafety({ origin: async () => Promise.resolve(true), env: {} });
    const server = http.createServer((req, res) => {
      cors(req, res, () => {
        res.end('answered');
        throw new Error('next exploded');
      });
    });
    const app = await listen(server);
    try {
      const reply = await call(`${app.url}/`, { origin: ORIGIN });
      assert.equal(reply.body, 'answered');
      assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(
        logs.lines.some((line) => line.includes('next exploded')),
        logs.lines.join('\n'),
      );
    } finally {
      logs.restore();
      await app.close();
    }
  });

  it('a client that hangs up during a slow check does not break the server', async () => {
    let checks = 0;
    // The first check waits until the client has hung up, so the abort always lands mid-check.
    let hungUp: () => void = () => undefined;
    const clientGone = new Promise<void>((resolve) => (hungUp = resolve));
    let firstStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    let firstSettled: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (firstSettled = resolve));
    const cors = corsSafety({
      origin: async () => {
        checks++;
        if (checks === 1) {
          firstStarted();
          await clientGone;
          setImmediate(firstSettled);
        }
        return true;
      },
      env: {},
    });
    const app = await listen(http.createServer((req, res) => cors(req, res, () => res.end('late'))));
    try {
      const controller = new AbortController();
      const aborted = fetch(`${app.url}/`, { headers: { Origin: ORIGIN }, signal: controller.signal }).then(
        () => 'answered',
        () => 'aborted',
      );
      await started;
      controller.abort();
      assert.equal(await aborted, 'aborted');
      hungUp();
      await settled; // the check settles on a closed request
      const reply = await call(`${app.url}/`, { origin: ORIGIN });
      assert.equal(reply.body, 'late');
      assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(checks, 2);
    } finally {
      await app.close();
    }
  });

  after(() => {
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejection in this file');
  });
});
