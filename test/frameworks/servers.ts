/**
 * The same app on Fastify 5, Koa 3 and Hono 4 (@hono/node-server), each with corsSafety()
 * around the node:http request listener, so the policy runs before the framework routes, parses
 * or fails. Every app answers the same paths from its own error paths:
 *   GET /ok 200, GET /unauthorized 401, POST /items with an invalid body 400, GET /nowhere 404,
 *   POST /upload with a body over the limit 413, GET /fail 500 (a thrown Error),
 *   GET /grants-all (the handler sets Access-Control-Allow-Origin: * itself).
 */
/* eslint-disable @typescript-eslint/require-await -- Fastify's handlers are written async, as in its documentation */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import { getRequestListener } from '@hono/node-server';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import Koa from 'koa';
import { corsSafety, createVerifyClient, type CorsPolicy } from '../../src/index.js';
import { listen, type Running } from '../helpers/listen.js';

/** Bodies over this many bytes are refused with 413 by every app. */
export const BODY_LIMIT = 64;

export interface FrameworkApp {
  readonly name: string;
  /** Serves a WebSocket at /ws guarded by the policy. */
  readonly websocket: boolean;
  start(policy: CorsPolicy): Promise<Running>;
}

/** A framework's node:http listener; what it returns (Koa's and Hono's return a promise) is not awaited by node:http either. */
export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** node:http with corsSafety() first, then the framework's own listener. */
export function guarded(policy: CorsPolicy, listener: Listener): http.Server {
  const cors = corsSafety(policy);
  return http.createServer((req, res) =>
    cors(req, res, () => {
      void listener(req, res);
    }),
  );
}

const httpError = (status: number): Error => Object.assign(new Error(`status ${status}`), { statusCode: status });

export const fastifyApp: FrameworkApp = {
  name: 'Fastify 5 (serverFactory)',
  websocket: true,
  async start(policy) {
    const app = Fastify({
      bodyLimit: BODY_LIMIT,
      serverFactory: (handler) => guarded(policy, handler),
    });
    // ws's verifyClient: the handshake is refused with 403 before @fastify/websocket's route runs.
    await app.register(fastifyWebsocket, { options: { verifyClient: createVerifyClient(policy) } });
    app.get('/ws', { websocket: true }, (socket) => socket.send('hello'));
    app.get('/ok', async () => ({ ok: true }));
    app.get('/unauthorized', async () => {
      throw httpError(401);
    });
    app.post(
      '/items',
      { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
      async () => ({ created: true }),
    );
    app.post('/upload', async () => ({ stored: true }));
    app.get('/fail', async () => {
      throw new Error('database password is hunter2');
    });
    app.get('/grants-all', async (_request, reply) => {
      void reply.header('Access-Control-Allow-Origin', '*');
      return { ok: true };
    });
    await app.ready();
    const running = await listen(app.server);
    return { ...running, close: async () => (await app.close(), running.close()) };
  },
};

export const koaApp: FrameworkApp = {
  name: 'Koa 3',
  websocket: false,
  async start(policy) {
    const app = new Koa();
    app.silent = true;
    app.use((ctx) => {
      if (ctx.path === '/ok') ctx.body = { ok: true };
      else if (ctx.path === '/unauthorized') ctx.throw(401);
      else if (ctx.path === '/items' && ctx.method === 'POST') ctx.throw(400, 'name is required');
      else if (ctx.path === '/upload') {
        if (Number(ctx.get('content-length')) > BODY_LIMIT) ctx.throw(413);
        ctx.body = { stored: true };
      } else if (ctx.path === '/fail') throw new Error('database password is hunter2');
      else if (ctx.path === '/grants-all') {
        ctx.set('Access-Control-Allow-Origin', '*');
        ctx.body = { ok: true };
      }
      // Anything else: Koa's own 404.
    });
    return listen(guarded(policy, app.callback()));
  },
};

export const honoApp: FrameworkApp = {
  name: 'Hono 4 (@hono/node-server)',
  websocket: false,
  async start(policy) {
    const app = new Hono();
    // Hono's default onError, without its console.error of every thrown Error.
    app.onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.text('Internal Server Error', 500)));
    app.get('/ok', (c) => c.json({ ok: true }));
    app.get('/unauthorized', () => {
      throw new HTTPException(401, { message: 'Unauthorized' });
    });
    app.post('/items', async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined);
      if (typeof body !== 'object' || body === null || !('name' in body))
        throw new HTTPException(400, { message: 'name is required' });
      return c.json({ created: true });
    });
    app.post('/upload', bodyLimit({ maxSize: BODY_LIMIT }), (c) => c.json({ stored: true }));
    app.get('/fail', () => {
      throw new Error('database password is hunter2');
    });
    app.get('/grants-all', (c) => {
      c.header('Access-Control-Allow-Origin', '*');
      return c.json({ ok: true });
    });
    return listen(guarded(policy, getRequestListener(app.fetch)));
  },
};

export const FRAMEWORK_APPS: readonly FrameworkApp[] = [fastifyApp, koaApp, honoApp];
