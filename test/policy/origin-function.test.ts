// Origin functions: sync, async and the `cors` callback form; every failure denies, nothing
// throws, hangs or leaks an unhandled rejection.
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test, type TestContext } from 'node:test';
import { createCorsPolicy, createOriginValidator, type OriginFunction, type OriginVerdict } from '../../src/index.js';

const ORIGIN = 'https://app.example.com';
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
before(() => process.on('unhandledRejection', onUnhandled));
after(() => {
  process.off('unhandledRejection', onUnhandled);
});
beforeEach(() => {
  unhandled.length = 0;
});
afterEach(async () => {
  // Give late answers and rejections a chance to surface before checking.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});

type AnyOriginFunction = (origin: string, arg: never) => unknown;

function validatorFor(fn: AnyOriginFunction, originCheckTimeout = 1000) {
  return createOriginValidator({ origin: fn as unknown as OriginFunction, originCheckTimeout, env: {} });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `body` with node:test's fake `setTimeout`, so a test of originCheckTimeout moves the clock
 * itself instead of waiting on it (and cannot race a loaded machine). The real timers are back
 * before the hooks run.
 */
async function withFakeTimers(t: TestContext, body: () => Promise<void>): Promise<void> {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  try {
    await body();
  } finally {
    t.mock.timers.reset();
  }
}

/** Lets settled promises run their callbacks (setImmediate is not faked). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A check's verdict once it settles; `undefined` until then. */
function watch(check: OriginVerdict | Promise<OriginVerdict>): () => OriginVerdict | undefined {
  let settled: OriginVerdict | undefined;
  void Promise.resolve(check).then((verdict) => (settled = verdict));
  return () => settled;
}

function fakeRequest(): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = { origin: ORIGIN, host: 'api.example.com' };
  req.method = 'GET';
  return req;
}

describe('synchronous functions', () => {
  test('true allows, false denies, and the answer is synchronous', () => {
    const allow = validatorFor(function isTrusted(origin: string) {
      return origin === ORIGIN;
    });
    const yes = allow.check(ORIGIN);
    assert.ok(!(yes instanceof Promise));
    assert.deepEqual(yes, { allowed: true, reason: 'allowed-function', origin: ORIGIN, rule: 'function isTrusted' });
    const no = allow.check('https://other.example.com');
    assert.ok(!(no instanceof Promise));
    assert.deepEqual(no, { allowed: false, reason: 'origin-not-allowed', origin: 'https://other.example.com' });
  });

  test('anything but a boolean is a failed check', () => {
    const values: unknown[] = [undefined, null, 1, 'true', {}, Object.create(null), Symbol('x'), () => true];
    for (const value of values) {
      const verdict = validatorFor(() => value).check(ORIGIN) as OriginVerdict;
      assert.equal(verdict.allowed, false);
      assert.equal(verdict.reason, 'origin-check-failed', String(typeof value));
      assert.match(
        verdict.allowed ? '' : (verdict.detail ?? ''),
        /^origin function returned .*; return true or false$/,
      );
    }
  });

  test('a throw is a failed check, with the error in the detail', () => {
    const verdict = validatorFor(() => {
      throw new TypeError('database down');
    }).check(ORIGIN);
    assert.deepEqual(verdict, {
      allowed: false,
      reason: 'origin-check-failed',
      origin: ORIGIN,
      detail: 'TypeError: database down',
    });
    const thrownString = validatorFor(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw is the case under test
      throw 'plain string';
    }).check(ORIGIN) as OriginVerdict;
    assert.equal(thrownString.allowed ? '' : thrownString.detail, 'non-error value "plain string"');
  });

  test('a throw whose message getter throws still becomes a denial', () => {
    const hostile = Object.create(Error.prototype, {
      message: {
        get() {
          throw new Error('getter');
        },
      },
    }) as Error;
    const verdict = validatorFor(() => {
      throw hostile;
    }).check(ORIGIN) as OriginVerdict;
    assert.equal(verdict.reason, 'origin-check-failed');
  });

  test('a result whose then getter throws is a failed check, not a throw', () => {
    const result = {
      get then(): never {
        throw new Error('then getter');
      },
    };
    const verdict = validatorFor(() => result).check(ORIGIN);
    assert.deepEqual(verdict, {
      allowed: false,
      reason: 'origin-check-failed',
      origin: ORIGIN,
      detail: 'Error: then getter',
    });
  });
});

describe('asynchronous functions', () => {
  test('resolved true allows, false denies', async () => {
    const validator = validatorFor(async (origin: string) => {
      await sleep(1);
      return origin === ORIGIN;
    });
    const pending = validator.check(ORIGIN);
    assert.ok(pending instanceof Promise);
    assert.equal((await pending).reason, 'allowed-function');
    assert.equal((await validator.check('https://b.example.com')).reason, 'origin-not-allowed');
  });

  test('a non-boolean resolution is a failed check', async () => {
    const verdict = await validatorFor(() => Promise.resolve('yes')).check(ORIGIN);
    assert.equal(verdict.reason, 'origin-check-failed');
    assert.match(verdict.allowed ? '' : (verdict.detail ?? ''), /returned "yes"/);
    const nullProto = await validatorFor(() => Promise.resolve(Object.create(null) as unknown)).check(ORIGIN);
    assert.equal(nullProto.reason, 'origin-check-failed');
  });

  test('a rejection is a failed check', async () => {
    const verdict = await validatorFor(async () => {
      await sleep(1);
      throw new Error('lookup failed');
    }).check(ORIGIN);
    assert.deepEqual(verdict, {
      allowed: false,
      reason: 'origin-check-failed',
      origin: ORIGIN,
      detail: 'Error: lookup failed',
    });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is the case under test
    const nonError = await validatorFor(() => Promise.reject(42)).check(ORIGIN);
    assert.equal(nonError.allowed ? '' : nonError.detail, 'non-error value "42"');
  });

  test('a custom thenable works', async () => {
    const thenable = {
      then(resolve: (value: boolean) => void) {
        setTimeout(() => resolve(true), 1);
      },
    };
    assert.equal((await validatorFor(() => thenable).check(ORIGIN)).reason, 'allowed-function');
  });

  test('no answer within originCheckTimeout is a timeout, not before', (t) =>
    withFakeTimers(t, async () => {
      const check = watch(validatorFor(() => new Promise<boolean>(() => undefined), 30).check(ORIGIN));
      t.mock.timers.tick(29);
      await flush();
      assert.ok(check() === undefined, 'still waiting at 29 ms');
      t.mock.timers.tick(1);
      await flush();
      assert.deepEqual(check(), {
        allowed: false,
        reason: 'origin-check-timeout',
        origin: ORIGIN,
        detail: 'no answer within 30 ms',
      });
    }));

  test('a late answer after the timeout is ignored', (t) =>
    withFakeTimers(t, async () => {
      let resolveLate: (value: boolean) => void = () => undefined;
      const validator = validatorFor(() => new Promise<boolean>((resolve) => (resolveLate = resolve)), 20);
      const check = watch(validator.check(ORIGIN));
      t.mock.timers.tick(20);
      await flush();
      assert.equal(check()?.reason, 'origin-check-timeout');
      resolveLate(true);
      await flush();
      assert.equal(check()?.reason, 'origin-check-timeout');
    }));

  test('a late rejection after the timeout is not an unhandled rejection', (t) =>
    withFakeTimers(t, async () => {
      let rejected = false;
      const check = watch(
        validatorFor(async () => {
          await sleep(40);
          rejected = true;
          throw new Error('too late');
        }, 10).check(ORIGIN),
      );
      t.mock.timers.tick(10);
      await flush();
      assert.equal(check()?.reason, 'origin-check-timeout');
      t.mock.timers.tick(30);
      await flush();
      assert.equal(rejected, true, 'the function rejected after the timeout');
      // afterEach checks that the rejection was not unhandled.
    }));

  test('an answer clears the timer: the check settles without the clock moving', (t) =>
    withFakeTimers(t, async () => {
      const check = watch(validatorFor(() => Promise.resolve(true), 60000).check(ORIGIN));
      await flush();
      assert.equal(check()?.reason, 'allowed-function');
      t.mock.timers.tick(60000);
      await flush();
      assert.equal(check()?.reason, 'allowed-function');
    }));
});

describe('the cors callback form (two declared parameters)', () => {
  test('a synchronous callback answers synchronously', () => {
    const verdict = validatorFor((origin: string, callback: (err: Error | null, allow?: boolean) => void) => {
      callback(null, origin === ORIGIN);
    }).check(ORIGIN);
    assert.ok(!(verdict instanceof Promise));
    assert.equal(verdict.reason, 'allowed-function');
  });

  test('an asynchronous callback', async () => {
    const validator = validatorFor((origin: string, callback: (err: Error | null, allow?: boolean) => void) => {
      setTimeout(() => callback(null, origin === ORIGIN), 1);
    });
    const pending = validator.check(ORIGIN);
    assert.ok(pending instanceof Promise);
    assert.equal((await pending).reason, 'allowed-function');
    assert.equal((await validator.check('https://b.example.com')).reason, 'origin-not-allowed');
  });

  test('callback values the cors package accepts', async () => {
    const cases: [unknown, string][] = [
      [true, 'allowed-function'],
      [false, 'origin-not-allowed'],
      [undefined, 'origin-not-allowed'],
      [1, 'origin-not-allowed'],
      [ORIGIN, 'allowed-function'],
      ['https://other.example.com', 'origin-not-allowed'],
      ['*', 'origin-not-allowed'],
      [/^https:\/\/app\.example\.com$/, 'allowed-function'],
      [/^https:\/\/other\.example\.com$/, 'origin-not-allowed'],
      [['https://x.example.com', /^https:\/\/[a-z]+\.example\.com$/], 'allowed-function'],
      [['https://x.example.com', ORIGIN], 'allowed-function'],
      [['https://x.example.com', true, 1], 'origin-not-allowed'],
      [[['https://app.example.com']], 'origin-not-allowed'],
      [[], 'origin-not-allowed'],
      // RegExps obey the same rules as RegExp allow-list entries.
      [/example\.com/, 'origin-check-failed'],
      [/^https:\/\/app\.example\.com$/g, 'origin-check-failed'],
      [['https://x.example.com', /^https:\/\/a|b$/], 'origin-check-failed'],
    ];
    for (const [value, reason] of cases) {
      const verdict = await validatorFor((_origin: string, callback: (err: null, allow: unknown) => void) => {
        callback(null, value);
      }).check(ORIGIN);
      assert.equal(verdict.reason, reason, `callback(null, ${String(value)})`);
    }
  });

  test('an unanchored RegExp from the callback never lets a lookalike in', async () => {
    const verdict = await validatorFor((_origin: string, callback: (err: null, allow: RegExp) => void) => {
      callback(null, /app\.example\.com/);
    }).check('https://app.example.com.evil.net');
    assert.equal(verdict.allowed, false);
    assert.match(verdict.allowed ? '' : (verdict.detail ?? ''), /not anchored/);
  });

  test('callback(err) is a failed check', async () => {
    const verdict = await validatorFor((_origin: string, callback: (err: Error) => void) => {
      setTimeout(() => callback(new Error('nope')), 1);
    }).check(ORIGIN);
    assert.deepEqual(verdict, { allowed: false, reason: 'origin-check-failed', origin: ORIGIN, detail: 'Error: nope' });
  });

  test('the first answer wins: a second callback is ignored', async () => {
    const first = validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      callback(null, false);
      callback(null, true);
    }).check(ORIGIN);
    assert.equal((first as OriginVerdict).reason, 'origin-not-allowed');
    const asyncTwice = await validatorFor((_origin: string, callback: (err: Error | null, allow?: boolean) => void) => {
      setTimeout(() => {
        callback(null, true);
        callback(new Error('second'));
        callback(null, false);
      }, 1);
    }).check(ORIGIN);
    assert.equal(asyncTwice.reason, 'allowed-function');
  });

  test('the first answer wins over the return value', () => {
    const verdict = validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      callback(null, false);
      return true;
    }).check(ORIGIN);
    assert.equal((verdict as OriginVerdict).reason, 'origin-not-allowed');
  });

  test('a throw after a callback still denies (fail closed)', () => {
    const verdict = validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      callback(null, true);
      throw new Error('after');
    }).check(ORIGIN);
    assert.equal((verdict as OriginVerdict).reason, 'origin-check-failed');
  });

  test('a callback after the timeout is ignored', async () => {
    let late: ((err: null, allow: boolean) => void) | undefined;
    const verdict = await validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      late = callback;
    }, 20).check(ORIGIN);
    assert.equal(verdict.reason, 'origin-check-timeout');
    assert.doesNotThrow(() => late?.(null, true));
  });

  test('two parameters returning a boolean is not a callback', () => {
    const verdict = validatorFor((origin: string, _req: unknown) => origin === ORIGIN).check(ORIGIN);
    assert.ok(!(verdict instanceof Promise));
    assert.equal(verdict.reason, 'allowed-function');
    const other = validatorFor((_origin: string, _req: unknown) => 'x').check(ORIGIN) as OriginVerdict;
    assert.equal(other.reason, 'origin-check-failed');
  });

  test('an async two-parameter function may answer by promise or by callback', async () => {
    const byPromise = await validatorFor((_origin: string, _req: unknown) => Promise.resolve(true)).check(ORIGIN);
    assert.equal(byPromise.reason, 'allowed-function');
    const byPromiseFalse = await validatorFor((_origin: string, _req: unknown) => Promise.resolve(false)).check(ORIGIN);
    assert.equal(byPromiseFalse.reason, 'origin-not-allowed');
    // The promise resolves (to undefined) before the callback is called: wait for the callback.
    const byLaterCallback = await validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      setTimeout(() => callback(null, true), 5);
      return Promise.resolve(undefined);
    }).check(ORIGIN);
    assert.equal(byLaterCallback.reason, 'allowed-function');
    // Called synchronously inside the async function: the answer is immediate.
    const syncInsideAsync = validatorFor(async (_origin: string, callback: (err: null, allow: boolean) => void) => {
      callback(null, true);
      await sleep(1);
      throw new Error('ignored');
    }).check(ORIGIN);
    assert.ok(!(syncInsideAsync instanceof Promise));
    assert.equal(syncInsideAsync.reason, 'allowed-function');
    await sleep(5);
  });

  test('never calling back is a timeout', (t) =>
    withFakeTimers(t, async () => {
      const check = watch(validatorFor((_origin: string, _callback: unknown) => undefined, 20).check(ORIGIN));
      t.mock.timers.tick(19);
      await flush();
      assert.ok(check() === undefined, 'still waiting at 19 ms');
      t.mock.timers.tick(1);
      await flush();
      assert.equal(check()?.reason, 'origin-check-timeout');
    }));
});

describe('the request reaches the function', () => {
  test('one parameter: the request itself is the second argument', () => {
    const req = fakeRequest();
    let received: unknown;
    const verdict = validatorFor((_origin: string, ...rest: unknown[]) => {
      received = rest[0];
      return true;
    }).check(ORIGIN, req);
    assert.equal((verdict as OriginVerdict).reason, 'allowed-function');
    assert.equal(received, req);
  });

  test('two parameters: the second argument is the request and callable', () => {
    const req = fakeRequest();
    let seen: { host?: unknown; hasHeaders?: boolean; isMessage?: boolean; callable?: string } = {};
    const verdict = validatorFor(
      (_origin: string, reqOrCallback: IncomingMessage & ((err: null, allow: boolean) => void)) => {
        seen = {
          host: reqOrCallback.headers.host,
          hasHeaders: 'headers' in reqOrCallback,
          isMessage: reqOrCallback instanceof IncomingMessage,
          callable: typeof reqOrCallback,
        };
        (reqOrCallback as unknown as { user: string }).user = 'alice';
        reqOrCallback(null, reqOrCallback.method === 'GET');
      },
    ).check(ORIGIN, req);
    assert.equal((verdict as OriginVerdict).reason, 'allowed-function');
    assert.deepEqual(seen, { host: 'api.example.com', hasHeaders: true, isMessage: true, callable: 'function' });
    assert.equal((req as unknown as { user: string }).user, 'alice');
  });

  test('two parameters without a request: the callback alone', () => {
    let type = '';
    const verdict = validatorFor((_origin: string, callback: (err: null, allow: boolean) => void) => {
      type = typeof callback;
      callback(null, true);
    }).check(ORIGIN);
    assert.equal(type, 'function');
    assert.equal((verdict as OriginVerdict).reason, 'allowed-function');
  });
});

describe('order of rules', () => {
  test('allowedHosts match before the function is asked', () => {
    let calls = 0;
    const validator = createOriginValidator({
      origin: () => {
        calls++;
        return false;
      },
      allowedHosts: ['app.example.com'],
      env: {},
    });
    assert.equal((validator.check(ORIGIN) as OriginVerdict).reason, 'allowed-host');
    assert.equal(calls, 0);
    assert.equal((validator.check('https://b.example.com') as OriginVerdict).reason, 'origin-not-allowed');
    assert.equal(calls, 1);
  });

  test('a policy with a function says so', () => {
    assert.equal(createCorsPolicy({ origin: () => true, env: {} }).hasOriginFunction, true);
    assert.equal(createCorsPolicy({ origin: 'https://a.com', env: {} }).hasOriginFunction, false);
  });
});
