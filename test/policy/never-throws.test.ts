// Every request-time public function takes any JavaScript value without throwing, rejecting or
// leaving an unhandled error behind: createOriginValidator().check, the corsSafety middleware,
// corsErrorHandler, notFound, the upgradeGuard listener the createVerifyClient function and createAllowRequest.
// Property-based (fast-check) over hostile values: null, numbers, symbols, bigints, objects
// with throwing getters, Proxies whose every trap throws, revoked Proxies, request look-alikes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  corsErrorHandler,
  corsSafety,
  createCorsPolicy,
  createOriginValidator,
  createAllowRequest,
  createVerifyClient,
  notFound,
  upgradeGuard,
} from '../../src/index.js';

const late: unknown[] = [];
const onLate = (err: unknown): void => void late.push(err);
before(() => {
  process.on('unhandledRejection', onLate);
  process.on('uncaughtException', onLate);
});
after(() => {
  process.off('unhandledRejection', onLate);
  process.off('uncaughtException', onLate);
});

const boom = (): never => {
  throw new Error('hostile');
};
/** A Proxy whose every trap throws. */
const trapAll = new Proxy(
  {},
  {
    get: boom,
    has: boom,
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
    set: boom,
    defineProperty: boom,
    deleteProperty: boom,
    apply: boom,
  },
);
const trapAllFunction = new Proxy(() => undefined, { get: boom, has: boom, apply: boom, getPrototypeOf: boom });
const revocable = Proxy.revocable({}, {});
revocable.revoke();
const revokedArray = Proxy.revocable([], {});
revokedArray.revoke();
const throwingGetters = Object.defineProperties(
  {},
  Object.fromEntries(
    ['headers', 'method', 'url', 'socket', 'origin', 'req', 'status', 'statusCode', 'message', 'then', 'destroyed'].map(
      (key) => [key, { get: boom, enumerable: true }],
    ),
  ),
);
const noPrototype = Object.create(null) as object;
const throwingToString = { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom };

/** Hostile values; picked by index so fast-check itself never reads their (throwing) properties. */
const HOSTILE: readonly unknown[] = [
  null,
  undefined,
  0,
  -1,
  Number.NaN,
  10n,
  Symbol('s'),
  true,
  '',
  'https://app.example.com',
  'null',
  ['https://app.example.com'],
  [],
  trapAll,
  trapAllFunction,
  revocable.proxy,
  revokedArray.proxy,
  throwingGetters,
  noPrototype,
  throwingToString,
  () => undefined,
  boom,
  new Error('e'),
  Buffer.alloc(0),
];

/**
 * fast-check inspects generated values (for a clone method), which would trip the traps: values
 * are wrapped in a box it does not look into, and unboxed inside the property.
 */
class Box {
  constructor(readonly value: unknown) {}
}
/** Unboxes a generated value, and the boxed fields of a generated request look-alike. */
function materialize(value: unknown): unknown {
  if (value instanceof Box) return value.value;
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, materialize(field)]));
}

const hostileLeaf = fc.oneof(
  fc.nat({ max: HOSTILE.length - 1 }).map((i) => new Box(HOSTILE[i])),
  fc.anything({ maxDepth: 1 }),
);

/** Request look-alikes whose fields are hostile. */
const hostileRequest = fc.oneof(
  hostileLeaf,
  fc.record(
    {
      headers: fc.oneof(
        hostileLeaf,
        fc.dictionary(
          fc.constantFrom(
            'origin',
            'host',
            'upgrade',
            'connection',
            'access-control-request-method',
            'access-control-request-headers',
            'access-control-request-private-network',
            'sec-websocket-key',
            'x-forwarded-host',
            'forwarded',
          ),
          hostileLeaf,
        ),
      ),
      method: fc.oneof(hostileLeaf, fc.constantFrom('OPTIONS', 'GET', 'HEAD')),
      url: hostileLeaf,
      socket: hostileLeaf,
      httpVersionMajor: hostileLeaf,
    },
    { requiredKeys: [] },
  ),
);

const policy = createCorsPolicy({ origin: ['https://app.example.com', /^https:\/\/pr-\d+\.example\.com$/], env: {} });
const withFunction = createCorsPolicy({ origin: (origin: string) => origin.endsWith('.example.org'), env: {} });

/** Calls `fn` and also waits for a returned promise: neither may throw or reject. */
async function settles(fn: () => unknown): Promise<void> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (err instanceof ApplicationBug) return;
    assert.fail(`threw ${String((err as Error)?.stack ?? err)}`);
  }
  if (result instanceof Promise) await result;
}

const RUNS = { numRuns: 300 };
const nextFn = (): void => undefined;
/** What the application's own next()/callback throws: passed on to the caller, by design. */
class ApplicationBug extends Error {}
const buggyNext = (): never => {
  throw new ApplicationBug('the application threw');
};
/** `next` or a ws callback: a working one, a throwing one, or any hostile value that is not callable. */
const nextArb = fc.oneof(
  fc.constant(new Box(nextFn)),
  fc.constant(new Box(buggyNext)),
  hostileLeaf.filter((value) => typeof materialize(value) !== 'function'),
);

describe('request-time functions never throw, whatever they are handed', () => {
  test('createOriginValidator(policy).check(any, any)', async () => {
    const failing = [null, 0, trapAll, revocable.proxy, revokedArray.proxy, throwingGetters, Symbol('x')];
    for (const p of [policy, withFunction]) {
      const validator = createOriginValidator(p);
      const check = (origin: unknown, req?: unknown) => validator.check(origin as string, req as never);
      for (const value of failing) {
        await settles(() => check(value));
        const verdict = await check(value);
        assert.equal(verdict.allowed, false);
      }
      await fc.assert(
        fc.asyncProperty(hostileLeaf, hostileRequest, async (origin, req) => {
          await settles(() => check(materialize(origin), materialize(req)));
        }),
        RUNS,
      );
    }
  });

  test('corsSafety() middleware (req, res, next) with hostile req, res and next', async () => {
    for (const p of [policy, withFunction]) {
      const middleware = corsSafety(p);
      await fc.assert(
        fc.asyncProperty(hostileRequest, hostileRequest, nextArb, async (req, res, next) => {
          await settles(() =>
            middleware(materialize(req) as never, materialize(res) as never, materialize(next) as never),
          );
        }),
        RUNS,
      );
    }
  });

  test('corsErrorHandler() (err, req, res, next) and notFound() (req, res, next)', async () => {
    const handler = corsErrorHandler(withFunction);
    const notFoundMiddleware = notFound();
    await fc.assert(
      fc.asyncProperty(hostileLeaf, hostileRequest, hostileRequest, nextArb, async (...args) => {
        const [err, req, res, next] = args.map(materialize) as [unknown, never, never, never];
        await settles(() => handler(err, req, res, next));
        await settles(() => notFoundMiddleware(req, res, next));
      }),
      RUNS,
    );
  });

  test('upgradeGuard() listener (req, socket, head) and createVerifyClient() (info, callback)', async () => {
    const guard = upgradeGuard(policy, () => undefined);
    const verifyClient = createVerifyClient(policy);
    await fc.assert(
      fc.asyncProperty(
        hostileRequest,
        hostileRequest,
        hostileLeaf,
        fc.oneof(
          hostileLeaf,
          fc.record({ req: hostileRequest, origin: hostileLeaf, secure: hostileLeaf }, { requiredKeys: [] }),
        ),
        nextArb,
        async (...args) => {
          const [req, socket, head, info, callback] = args.map(materialize) as [never, never, never, never, never];
          await settles(() => guard(req, socket, head));
          await settles(() => verifyClient(info, callback));
        },
      ),
      RUNS,
    );
  });

  test('createAllowRequest() (req, callback), as engine.io calls it with its options as this', async () => {
    const allowRequest = createAllowRequest(policy);
    await fc.assert(
      fc.asyncProperty(hostileLeaf, hostileRequest, nextArb, async (...args) => {
        const [engineOptions, req, callback] = args.map(materialize) as [unknown, never, never];
        await settles(() => allowRequest.call(engineOptions, req, callback));
      }),
      RUNS,
    );
    // The review input: a request without rawHeaders is refused through the callback, fail closed.
    const answer = await new Promise<unknown[]>((resolve) =>
      allowRequest({ headers: { origin: 'https://app.example.com' } } as never, (...result) => resolve(result)),
    );
    assert.deepEqual(answer, ['Forbidden', false]);
  });

  test('nothing surfaced later as an unhandled rejection or uncaught exception', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(late, []);
  });
});
