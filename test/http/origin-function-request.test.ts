/**
 * An origin function whose request parameter is annotated with Express's `Request` (the form the
 * types accept as `TypedRequestOriginFunction`) reads Express's own properties at run time, in
 * Express 4 and 5: `req.hostname` and `req.get()` work on the second argument.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import express, { type Request as Express5Request } from 'express';
import express4, { type Request as Express4Request } from 'express4';
import { corsSafety } from '../../src/index.js';
import { listen } from '../helpers/frameworks.js';
import { call } from '../helpers/middleware-http.js';

const ORIGIN = 'https://app.example.com';

/** Allowed only when Express says the request was for `host` (fetch sends Host: 127.0.0.1:<port>). */
const forHost5 =
  (host: string) =>
  (origin: string, req: Express5Request): boolean =>
    origin === ORIGIN && req.hostname === host && req.get('host')?.startsWith(`${host}:`) === true;
const forHost4 =
  (host: string) =>
  (origin: string, req: Express4Request): boolean =>
    origin === ORIGIN && req.hostname === host && req.get('host')?.startsWith(`${host}:`) === true;

const stacks = [
  {
    name: 'Express 5',
    app: (host: string) =>
      express()
        .use(corsSafety({ origin: forHost5(host) }))
        .get('/', (_req, res) => res.send('ok')),
  },
  {
    name: 'Express 4',
    app: (host: string) =>
      express4()
        .use(corsSafety({ origin: forHost4(host) }))
        .get('/', (_req, res) => res.send('ok')),
  },
];

for (const { name, app } of stacks) {
  describe(`${name}: an origin function typed with Express's Request`, () => {
    it("reads Express's req.hostname and req.get(): allowed when they match", async () => {
      const running = await listen(http.createServer(app('127.0.0.1')));
      try {
        const reply = await call(`${running.url}/`, { origin: ORIGIN });
        assert.equal(reply.body, 'ok');
        assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
      } finally {
        await running.close();
      }
    });

    it('and denied when they do not', async () => {
      const running = await listen(http.createServer(app('api.example.com')));
      try {
        const reply = await call(`${running.url}/`, { origin: ORIGIN });
        assert.equal(reply.body, 'ok');
        assert.equal(reply.headers.get('access-control-allow-origin'), null);
      } finally {
        await running.close();
      }
    });
  });
}
