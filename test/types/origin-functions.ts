/**
 * Type tests: every documented form of an origin function type-checks inline under `strict`,
 * with its parameters inferred, and the request may be annotated with Express 4's or 5's
 * `Request`, Connect's or node:http's request type. Misuses are `@ts-expect-error` lines: tsc
 * fails on a directive that has no error under it. Checked by TypeScript 5 and 7
 * (test/types/types.test.ts); nothing here runs.
 */
/* eslint-disable @typescript-eslint/require-await -- `async (origin) => expression` is a form users write */
import type { IncomingMessage } from 'node:http';
import type { IncomingMessage as ConnectRequest } from 'connect';
import type { Request as Express5Request } from 'express';
import type { Request as Express4Request } from 'express4';
import corsSafety, {
  createCorsPolicy,
  createOriginValidator,
  upgradeGuard,
  corsErrorHandler,
  createVerifyClient,
  type CorsCallbackOriginFunction,
  type CorsSafetyOptions,
  type OriginFunction,
  type OriginRequest,
} from '../../src/index.js';

declare const allowList: readonly string[];
declare const tenants: { has(host: string): Promise<boolean> };
declare function expectType<T>(value: T): void;

// (origin) => boolean: origin is a string.
corsSafety({ origin: (origin) => allowList.includes(origin) });
corsSafety({
  origin: (origin) => {
    expectType<string>(origin);
    return true;
  },
});
// async (origin) => boolean
corsSafety({ origin: async (origin) => tenants.has(new URL(origin).hostname) });
// (origin, req) => boolean: req is the request.
corsSafety({ origin: (origin, req) => req.headers.host === new URL(origin).host });
corsSafety({
  origin: (origin, req) => {
    expectType<IncomingMessage>(req);
    return origin !== '';
  },
});
corsSafety({ origin: async (origin, req) => req.method === 'GET' && (await tenants.has(origin)) });
// The `cors` package's callback form: callback(err, allow).
corsSafety({ origin: (origin, callback) => callback(null, allowList.includes(origin)) });
corsSafety({
  origin: (origin, callback) => {
    tenants.has(origin).then(
      (ok) => callback(null, ok),
      (err: unknown) => callback(err as Error),
    );
  },
});
corsSafety({
  origin: (_origin, callback) => callback(null, [/^https:\/\/[a-z]+\.example\.com$/, 'https://example.com']),
});
corsSafety({
  origin: function fromDatabase(origin, callback) {
    callback(null, origin.endsWith('.example.com'));
  },
});

// The request annotated with a framework's own type.
corsSafety({ origin: (origin, req: Express5Request) => req.hostname === new URL(origin).hostname });
corsSafety({ origin: (origin, req: Express4Request) => req.hostname === new URL(origin).hostname });
corsSafety({ origin: async (origin, req: Express4Request) => req.ip !== undefined && allowList.includes(origin) });
corsSafety({ origin: (origin, req: ConnectRequest) => req.originalUrl !== origin });
corsSafety({ origin: (origin, req: IncomingMessage) => req.url !== origin });
corsSafety({ origin: (origin, req: OriginRequest) => req.url !== origin });
corsSafety({ origin: (origin: string | undefined) => origin !== undefined });

// Every factory takes the same options, so every form works everywhere.
createCorsPolicy({ origin: (origin, req) => req.headers.host === origin });
createOriginValidator({ origin: (origin, callback) => callback(null, origin === 'https://a.example') });
corsErrorHandler({ origin: async (origin) => allowList.includes(origin) });
upgradeGuard({ origin: (origin, req: Express5Request) => req.hostname === origin }, () => undefined);
createVerifyClient({ origin: (origin) => origin.startsWith('https://') });

// Declared apart from the call, with the exported types.
const fromTenants: OriginFunction = async (origin, req) => req.method !== 'TRACE' && tenants.has(origin);
const legacy: CorsCallbackOriginFunction = (origin, callback) => callback(null, allowList.includes(origin));
const options: CorsSafetyOptions = { origin: (origin, req: Express5Request) => req.hostname === origin };
corsSafety({ origin: fromTenants });
corsSafety({ origin: legacy });
corsSafety(options);

// ---- Misuses that must not compile ----

// @ts-expect-error -- an origin function returns true or false, not the origin (the `cors` habit of returning a value)
corsSafety({ origin: (origin) => origin });
// @ts-expect-error -- nor a number
corsSafety({ origin: async (origin) => origin.length });
// @ts-expect-error -- the origin is a string
corsSafety({ origin: (origin: number) => origin > 0 });
// @ts-expect-error -- the second parameter is a request, not an unrelated type
corsSafety({ origin: (origin, req: { tenant: string }) => req.tenant === origin });
// @ts-expect-error -- an annotated request still needs a boolean answer
corsSafety({ origin: (origin, req: Express5Request) => req.hostname + origin });
// @ts-expect-error -- the callback takes true/false, origins or RegExps, not a number
corsSafety({ origin: (_origin, callback) => callback(null, 1) });
// @ts-expect-error -- the callback's first argument is an error or null
corsSafety({ origin: (_origin, callback) => callback('no') });
// @ts-expect-error -- three parameters: there is no third argument
corsSafety({ origin: (origin, req, extra: string) => origin === extra });
