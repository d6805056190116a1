/**
 * Every printed fix works when followed (issue #22), for the details of a code whose fix depends
 * on who answered: an error path without CORS headers, a redirect without them, a framework's own
 * OPTIONS answer, a preflight nothing handles, a preflight that crashes. Each broken server is a
 * real Express 5 app (with the `cors` package or cors-safety) or node:http, built the way such
 * apps are commonly written; the fixed one is the same app changed exactly as the fix says.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import cors from 'cors';
import express from 'express';
import { corsSafety, createCorsPolicy } from '../../src/index.js';
import { run } from '../../src/cli/run.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { findingCodes, type DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN } from './servers.js';

const policy = createCorsPolicy({ origin: [PAGE_ORIGIN], allowedHeaders: ['X-Tenant'], env: {} });
const withCredentials = createCorsPolicy({ origin: [PAGE_ORIGIN], credentials: true, env: {} });

async function doctor(server: Running, args: readonly string[]): Promise<DoctorJson> {
  let stdout = '';
  try {
    await run(
      [
        'doctor',
        `${server.url}/api/items`,
        '--origin',
        PAGE_ORIGIN,
        '--json',
        '--timeout',
        String(scaled(5000)),
        ...args,
      ],
      {
        stdout: (text) => (stdout += text),
        stderr: () => undefined,
      },
    );
  } finally {
    await server.close();
  }
  return JSON.parse(stdout) as DoctorJson;
}

const items = (_req: express.Request, res: express.Response): void => {
  res.json({ items: [] });
};

/** Authentication that answers 401 itself, as most apps' guards do. */
const auth: express.RequestHandler = (req, res, next) => {
  if (req.headers.authorization === 'Bearer good') next();
  else res.status(401).json({ error: 'unauthorized' });
};

function app(...handlers: express.RequestHandler[]): Promise<Running> {
  const application = express();
  for (const handler of handlers) application.use(handler);
  application.get('/api/items', items);
  application.put('/api/items', items);
  return listen(http.createServer(application));
}

/** A session lookup that fails for requests without a cookie, preflights included. */
const sessionStore: express.RequestHandler = (req, _res, next) => {
  next(req.headers.cookie === undefined ? new Error('session store: no cookie') : undefined);
};

/** node:http routing by method: OPTIONS is not a route, so it gets 405. */
function methodRouter(cors: boolean): Promise<Running> {
  const middleware = corsSafety(policy);
  const route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'PUT') res.writeHead(405, { Allow: 'GET, PUT' }).end();
    else res.end('{"items":[]}');
  };
  return listen(
    http.createServer((req, res) => (cors ? middleware(req, res, () => route(req, res)) : route(req, res))),
  );
}

/** Redirects /api/items to /api/items/, optionally with CORS headers on the redirect (what the fix says). */
function redirecting(withCors: boolean): Promise<Running> {
  return listen(
    http.createServer((req, res) => {
      if (withCors && req.headers.origin === PAGE_ORIGIN) {
        res.setHeader('Access-Control-Allow-Origin', PAGE_ORIGIN);
        res.setHeader('Vary', 'Origin');
      }
      if (req.url === '/api/items') res.writeHead(308, { Location: '/api/items/' }).end();
      else res.end('{"items":[]}');
    }),
  );
}

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly broken: () => Promise<Running>;
  readonly expected: string;
  readonly fix: RegExp;
  readonly fixed: () => Promise<Running>;
  /** What is left after the fix: warnings only (the verdict is ALLOWED). */
  readonly after: readonly string[];
}

const corsPackage = cors({ origin: PAGE_ORIGIN });

const CASES: readonly Case[] = [
  {
    name: 'the cors package mounted after authentication: the 401 has no CORS headers',
    args: [],
    broken: () => app(auth, corsPackage),
    expected: 'no-allow-origin:error-status',
    fix: /with the cors package mount cors\(\) before authentication/,
    fixed: () => app(corsPackage, auth),
    // The page now reads the 401: the failure is authentication, which the doctor then says.
    after: ['error-status-readable:401'],
  },
  {
    name: 'a redirect without CORS headers',
    args: [],
    broken: () => redirecting(false),
    // The doctor also says it did not follow the redirect (a warning).
    expected: 'no-allow-origin:redirect redirect-not-followed',
    fix: /^Add CORS headers to the redirect response/,
    fixed: () => redirecting(true),
    after: ['redirect-not-followed'],
  },
  {
    name: 'cors() on the PUT route only: Express answers the preflight itself',
    args: ['-X', 'PUT', '-H', 'X-Tenant: a'],
    broken: async () => {
      const application = express();
      application.put('/api/items', cors({ origin: PAGE_ORIGIN, allowedHeaders: ['X-Tenant'] }), items);
      return listen(http.createServer(application));
    },
    expected: 'no-allow-origin:framework-options',
    fix: /^Mount the CORS middleware before the routers \(app\.use\(corsSafety\(\.\.\.\)\) first\)/,
    fixed: () => app(corsSafety(policy)),
    after: [],
  },
  {
    name: 'a method router that answers OPTIONS with 405',
    args: ['-X', 'PUT'],
    broken: () => methodRouter(false),
    expected: 'preflight-status:no-handler',
    fix: /^Mount the CORS middleware for this path, before the routers, so it answers OPTIONS with 204/,
    fixed: () => methodRouter(true),
    after: [],
  },
  {
    name: 'a session lookup before CORS that fails on the cookie-less preflight',
    // The page sends its session cookie; the preflight never carries one (Fetch §4.8).
    args: ['-X', 'PUT', '--credentials', '--cookie', 'sid=1'],
    broken: () => app(sessionStore, corsSafety(withCredentials)),
    expected: 'preflight-status:server-error',
    fix: /answer OPTIONS in the CORS middleware before other work/,
    fixed: () => app(corsSafety(withCredentials), sessionStore),
    after: [],
  },
];

describe('fixes that depend on who answered, followed, make the probe pass', () => {
  for (const c of CASES) {
    it(`${c.expected.split(' ')[0] ?? ''}: ${c.name}`, async () => {
      const before = await doctor(await c.broken(), c.args);
      assert.equal(before.verdict, 'blocked');
      assert.deepEqual(findingCodes(before), c.expected.split(' '));
      assert.match(before.findings[0]?.fix ?? '', c.fix);
      const after = await doctor(await c.fixed(), c.args);
      assert.deepEqual(findingCodes(after), c.after);
      assert.equal(after.verdict, 'allowed');
    });
  }
});
