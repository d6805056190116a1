/**
 * One app, four stacks: Express 5, Express 4 (the `express4` npm alias), Connect and plain
 * node:http. Each adapter mounts `corsSafety(options)` first and then the same routes, so one
 * behaviour suite (test/http/behaviour.test.ts) runs unchanged against all of them over
 * real loopback sockets.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import connect from 'connect';
import express from 'express';
// @ts-expect-error -- finalhandler (Connect's own final handler) ships no type declarations.
import finalhandlerUntyped from 'finalhandler';
import express4Untyped from 'express4';
import {
  corsSafety,
  type CorsPolicy,
  type CorsSafetyOptions,
  type Middleware,
  type NextFunction,
} from '../../src/index.js';

/** Express 4, typed only as far as these tests use it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Express 4 under an alias is untyped
const express4 = express4Untyped as { (): any; json(options: object): Middleware; Router(): any };
const connectFinalHandler = finalhandlerUntyped as (
  req: IncomingMessage,
  res: ServerResponse,
  options: { env: string },
) => NextFunction;

/** A running server. */
/** What the behaviour suite needs to know about a stack. */
export interface Stack {
  readonly name: string;
  /** A rejected promise from a handler reaches the error handling (Express 5 and our node:http dispatcher). */
  readonly routesAsyncErrors: boolean;
  /** Has route-level sub-routers with their own error handler (Express only). */
  readonly hasSubRouter: boolean;
  /** Starts an app with `corsSafety(options)` mounted first and every route of {@link ROUTE_PATHS}. */
  start(options?: CorsSafetyOptions | CorsPolicy, extra?: ExtraRoutes): Promise<Running>;
}

/** Routes a single test file may add (method + exact path -> handler). */
export type ExtraRoutes = readonly { readonly method: string; readonly path: string; readonly handler: Handler }[];

type Handler = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => unknown;

/** An origin the suites never allow; error paths try to grant it. */
export const FOREIGN_ORIGIN = 'https://evil.example';

import { listen, type Running } from './listen.js';

export { listen, type Running };

function httpError(status: number, message: string, headers?: OutgoingHttpHeaders): Error {
  return Object.assign(new Error(message), { status, expose: status < 500 }, headers === undefined ? {} : { headers });
}

const text = (res: ServerResponse, status: number, body: string): void => {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(body);
};

/** Marks that the application's own handler ran (the origin-function suite checks it). */
export const HANDLER_RAN = 'X-Handler-Ran';

/**
 * The routes every stack serves, as `[method, path, handlers]`. `json` is the stack's JSON
 * body parser (express.json() for Express, body-parser for Connect and node:http).
 */
function routes(json: Middleware, asyncErrors: boolean): [string, string, Handler[]][] {
  const table: [string, string, Handler[]][] = [
    [
      'GET',
      '/ok',
      [
        (_req, res) => {
          res.setHeader(HANDLER_RAN, '1');
          res.setHeader('X-Request-Id', 'r-1');
          text(res, 200, 'ok');
        },
      ],
    ],
    [
      'POST',
      '/ok',
      [
        (_req, res) => {
          res.setHeader(HANDLER_RAN, '1');
          text(res, 200, 'posted');
        },
      ],
    ],
    [
      'GET',
      '/sync-throw',
      [
        () => {
          throw new Error('sync boom');
        },
      ],
    ],
    ['GET', '/next-error', [(_req, _res, next) => next(httpError(418, 'teapot'))]],
    [
      'POST',
      '/json',
      [json, (req, res) => text(res, 200, JSON.stringify((req as IncomingMessage & { body?: unknown }).body))],
    ],
    [
      'GET',
      '/err-headers',
      [
        (_req, _res, next) => {
          // An error that tries to grant another origin, with credentials and exposed headers.
          next(
            httpError(429, 'slow down', {
              'Access-Control-Allow-Origin': FOREIGN_ORIGIN,
              'Access-Control-Allow-Credentials': 'true',
              'Access-Control-Expose-Headers': 'X-Secret',
              'Retry-After': '7',
            }),
          );
        },
      ],
    ],
    [
      'GET',
      '/remove-header',
      [
        (_req, res) => {
          res.removeHeader('Access-Control-Allow-Origin');
          res.removeHeader('Access-Control-Allow-Credentials');
          res.removeHeader('Vary');
          text(res, 500, 'removed');
        },
      ],
    ],
    [
      'GET',
      '/set-foreign',
      [
        (_req, res) => {
          res.setHeader('Access-Control-Allow-Origin', FOREIGN_ORIGIN);
          res.setHeader('Access-Control-Allow-Credentials', 'true');
          res.setHeader('Access-Control-Expose-Headers', 'X-Secret');
          res.setHeader('Access-Control-Max-Age', '99999');
          text(res, 200, 'foreign');
        },
      ],
    ],
    [
      'GET',
      '/write-head-object',
      [
        (_req, res) => {
          res.writeHead(503, {
            'Content-Type': 'text/plain',
            'access-control-allow-origin': FOREIGN_ORIGIN,
            'Access-Control-Allow-Credentials': 'true',
            Vary: 'Accept',
            'X-Own': 'kept',
          });
          res.end('own head');
        },
      ],
    ],
    [
      'GET',
      '/write-head-array',
      [
        (_req, res) => {
          res.writeHead(502, [
            'Content-Type',
            'text/plain',
            'Access-Control-Allow-Origin',
            '*',
            'vary',
            'Accept-Language',
            'X-Own',
            'kept',
          ]);
          res.end('own head (array)');
        },
      ],
    ],
    [
      'GET',
      '/write-head-message',
      [
        (_req, res) => {
          res.writeHead(400, 'Nope', { 'Access-Control-Allow-Origin': FOREIGN_ORIGIN, 'X-Own': 'kept' });
          res.end();
        },
      ],
    ],
    [
      'GET',
      '/stream',
      [
        (_req, res) => {
          // Implicit head: no writeHead() call, headers go out with the first write().
          res.statusCode = 500;
          res.removeHeader('Access-Control-Allow-Origin');
          res.write('part 1,');
          res.end('part 2');
        },
      ],
    ],
    [
      'GET',
      '/vary-app',
      [
        (_req, res) => {
          res.setHeader('Vary', 'Accept-Encoding'); // overwrites what corsSafety() set
          text(res, 200, 'vary');
        },
      ],
    ],
    [
      'GET',
      '/vary-star',
      [
        (_req, res) => {
          res.setHeader('Vary', '*');
          text(res, 200, 'vary *');
        },
      ],
    ],
    [
      'OPTIONS',
      '/options',
      [
        (req, res) => {
          res.setHeader(HANDLER_RAN, '1');
          res.setHeader('X-App-Saw-Method', req.headers['access-control-request-method'] ?? '(none)');
          text(res, 200, 'app options');
        },
      ],
    ],
  ];
  if (asyncErrors) {
    table.push([
      'GET',
      '/async-reject',
      [
        async () => {
          await new Promise((resolve) => setImmediate(resolve));
          throw httpError(409, 'async conflict');
        },
      ],
    ]);
  }
  return table;
}

/** A JSON parser small enough that a 2 KiB body is a 413. */
const JSON_LIMIT = '1kb';

function addExpressRoutes(
  app: { [method: string]: unknown },
  json: Middleware,
  asyncErrors: boolean,
  extra: ExtraRoutes,
): void {
  for (const [method, path, handlers] of [
    ...routes(json, asyncErrors),
    ...extra.map((r) => [r.method, r.path, [r.handler]] as const),
  ]) {
    (app[method.toLowerCase()] as (path: string, ...h: unknown[]) => void)(path, ...handlers);
  }
}

/** A sub-router with its own error handler, as applications mount them per route. */
function addSubRouter(
  app: { use(path: string, router: unknown): void },
  router: { get(p: string, h: Handler): void; use(h: unknown): void },
): void {
  router.get('/boom', () => {
    throw new Error('sub-router boom');
  });
  router.use((err: Error, _req: IncomingMessage, res: ServerResponse, _next: NextFunction) => {
    res.statusCode = 422;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Access-Control-Allow-Origin', FOREIGN_ORIGIN);
    res.end(JSON.stringify({ handledBy: 'sub-router', message: err.message }));
  });
  app.use('/sub', router);
}

const express5Stack: Stack = {
  name: 'Express 5',
  routesAsyncErrors: true,
  hasSubRouter: true,
  start(options, extra = []) {
    const app = express();
    app.set('env', 'test'); // finalhandler logs errors to stderr unless env is "test"
    app.use(corsSafety(options));
    addExpressRoutes(
      app as unknown as { [method: string]: unknown },
      express.json({ limit: JSON_LIMIT }) as Middleware,
      true,
      extra,
    );
    addSubRouter(app, express.Router());
    return listen(http.createServer(app));
  },
};

const express4Stack: Stack = {
  name: 'Express 4',
  routesAsyncErrors: false,
  hasSubRouter: true,
  start(options, extra = []) {
    const app = express4();
    app.set('env', 'test');
    app.use(corsSafety(options));
    addExpressRoutes(app, express4.json({ limit: JSON_LIMIT }), false, extra);
    addSubRouter(app, express4.Router());
    return listen(http.createServer(app));
  },
};

/** Runs handlers in order, Connect style; a throw (or, with `asyncErrors`, a rejection) goes to `done`. */
function runChain(
  handlers: readonly Handler[],
  req: IncomingMessage,
  res: ServerResponse,
  done: NextFunction,
  asyncErrors: boolean,
): void {
  let i = 0;
  const next: NextFunction = (err) => {
    const handler = handlers[i++];
    if (err !== undefined || handler === undefined) {
      done(err);
      return;
    }
    try {
      const result = handler(req, res, next);
      if (asyncErrors && result instanceof Promise) result.catch((e: unknown) => done(e));
    } catch (e) {
      done(e);
    }
  };
  next();
}

function routeTable(json: Middleware, asyncErrors: boolean, extra: ExtraRoutes): Map<string, Handler[]> {
  const table = new Map<string, Handler[]>();
  for (const [method, path, handlers] of routes(json, asyncErrors)) table.set(`${method} ${path}`, handlers);
  for (const r of extra) table.set(`${r.method} ${r.path}`, [r.handler]);
  return table;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const connectStack: Stack = {
  name: 'Connect',
  routesAsyncErrors: false,
  hasSubRouter: false,
  start(options, extra = []) {
    const app = connect();
    app.use(corsSafety(options));
    const table = routeTable(bodyParser.json({ limit: JSON_LIMIT }) as Middleware, false, extra);
    app.use((req: IncomingMessage, res: ServerResponse, next: NextFunction) => {
      const handlers = table.get(`${req.method ?? ''} ${pathOf(req)}`);
      if (handlers === undefined) next();
      else runChain(handlers, req, res, next, false);
    });
    // Connect's default final handler, with env "test" so it does not print every error.
    return listen(http.createServer((req, res) => app(req, res, connectFinalHandler(req, res, { env: 'test' }))));
  },
};

/**
 * A small final handler modelled on finalhandler: status from `err.status`/`err.statusCode`
 * when 400-599 (else 500), `err.headers` only then, 404 without an error, a plain-text body.
 */
export function finalHandler(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    status?: unknown;
    statusCode?: unknown;
    headers?: unknown;
  };
  const candidate = typeof e.status === 'number' ? e.status : e.statusCode;
  const valid = typeof candidate === 'number' && candidate >= 400 && candidate <= 599;
  const status = err === undefined ? 404 : valid ? candidate : 500;
  if (err !== undefined && valid && typeof e.headers === 'object' && e.headers !== null) {
    for (const [name, value] of Object.entries(e.headers as Record<string, string>)) res.setHeader(name, value);
  }
  const body = `${status} ${http.STATUS_CODES[status] ?? 'Error'}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

const nodeHttpStack: Stack = {
  name: 'node:http',
  routesAsyncErrors: true,
  hasSubRouter: false,
  start(options, extra = []) {
    const cors = corsSafety(options);
    const table = routeTable(bodyParser.json({ limit: JSON_LIMIT }) as Middleware, true, extra);
    const server = http.createServer((req, res) => {
      const done: NextFunction = (err) => finalHandler(req, res, err);
      cors(req, res, (err) => {
        if (err !== undefined) {
          done(err);
          return;
        }
        const handlers = table.get(`${req.method ?? ''} ${pathOf(req)}`);
        if (handlers === undefined) done();
        else runChain(handlers, req, res, done, true);
      });
    });
    return listen(server);
  },
};

/** Every stack the behaviour suite runs against. */
export const stacks: readonly Stack[] = [express5Stack, express4Stack, connectStack, nodeHttpStack];
