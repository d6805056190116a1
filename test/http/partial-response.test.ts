/**
 * corsSafety() on response objects that have only part of `ServerResponse`: engine.io's real
 * WebSocket-upgrade response (no getHeaderNames, hasHeader or headersSent), and hand-made objects
 * missing one method or another. The middleware must never throw, must call next() exactly once,
 * and must set what the object lets it set.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from 'socket.io';
import WebSocket from 'ws';
import { corsSafety } from '../../src/index.js';
import { listen, type Running } from '../helpers/listen.js';

const ALLOWED = 'https://app.example.com';
const DENIED = 'https://evil.example';

/** Opens engine.io's WebSocket transport directly and returns the handshake answer's status and headers. */
function upgrade(url: string, origin: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const target = `${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { origin });
    ws.once('upgrade', (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      ws.once('open', () => ws.close());
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe("corsSafety() as engine.io middleware on the WebSocket upgrade path (engine.io's own response object)", () => {
  let running: Running;
  let io: Server;
  const seen: object[] = [];
  before(async () => {
    const server = http.createServer();
    io = new Server(server);
    io.engine.use((_req: IncomingMessage, res: object, next: () => void) => {
      seen.push(res);
      next();
    });
    io.engine.use(corsSafety({ origin: ALLOWED, credentials: true, env: {} }));
    running = await listen(server);
  });
  after(async () => {
    await io.close();
    await running.close();
  });

  it('is handed an object without getHeaderNames (so the test exercises the partial path)', async () => {
    await upgrade(running.url, ALLOWED);
    const res = seen.at(-1) as Partial<ServerResponse>;
    assert.equal(res instanceof http.ServerResponse, false);
    assert.equal(typeof res.getHeaderNames, 'undefined');
    assert.equal(typeof res.setHeader, 'function');
  });

  it('lets an allowed origin upgrade (101) and puts the grant on the 101 response', async () => {
    const { status, headers } = await upgrade(running.url, ALLOWED);
    assert.equal(status, 101);
    assert.equal(headers['access-control-allow-origin'], ALLOWED);
    assert.equal(headers['access-control-allow-credentials'], 'true');
    assert.equal(headers.vary, 'Origin');
  });

  it("lets a denied origin through the middleware (the origin check is allowRequest's job) with no grant", async () => {
    const { status, headers } = await upgrade(running.url, DENIED);
    assert.equal(status, 101);
    assert.equal(headers['access-control-allow-origin'], undefined);
  });
});

/** A request as Node would parse it, without a network. */
function request(method: string, headers: Record<string, string>): IncomingMessage {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = method;
  req.url = '/socket.io/';
  req.headers = headers;
  return req;
}

/** A response object with only the listed methods, recording what was called on it. */
function partial(methods: readonly string[]): { res: ServerResponse; calls: string[]; headers: Map<string, unknown> } {
  const calls: string[] = [];
  const headers = new Map<string, unknown>();
  const all: Record<string, (...args: unknown[]) => unknown> = {
    setHeader: (name, value) => void headers.set(String(name).toLowerCase(), value),
    getHeader: (name) => headers.get(String(name).toLowerCase()),
    removeHeader: (name) => void headers.delete(String(name).toLowerCase()),
    hasHeader: (name) => headers.has(String(name).toLowerCase()),
    getHeaderNames: () => [...headers.keys()],
    // writeHead(status, [name, value, ...]): the flat-array form the preflight fast path uses.
    writeHead: (_status, head) => {
      if (Array.isArray(head))
        for (let i = 0; i + 1 < head.length; i += 2) headers.set(String(head[i]).toLowerCase(), head[i + 1]);
    },
    end: () => undefined,
  };
  const res: Record<string, unknown> = {};
  for (const name of methods) {
    const fn = all[name];
    if (fn === undefined) throw new Error(`no such method ${name}`);
    res[name] = (...args: unknown[]) => {
      calls.push(name);
      return fn(...args);
    };
  }
  return { res: res as unknown as ServerResponse, calls, headers };
}

describe('corsSafety() on hand-made partial response objects', () => {
  const cors = corsSafety({ origin: ALLOWED, credentials: true, env: {} });
  const everything = ['setHeader', 'getHeader', 'removeHeader', 'hasHeader', 'getHeaderNames', 'writeHead', 'end'];
  const shapes: [string, readonly string[]][] = [
    ['an empty object', []],
    ['setHeader only', ['setHeader']],
    ['no getHeaderNames', everything.filter((m) => m !== 'getHeaderNames')],
    ['no hasHeader', everything.filter((m) => m !== 'hasHeader')],
    ['no writeHead', everything.filter((m) => m !== 'writeHead')],
    ['no end', everything.filter((m) => m !== 'end')],
    ['no setHeader', everything.filter((m) => m !== 'setHeader')],
  ];

  for (const [label, methods] of shapes) {
    it(`${label}: an actual request from an allowed origin goes on, with the grant where it can be set`, () => {
      const { res, headers } = partial(methods);
      let nexts = 0;
      cors(request('GET', { origin: ALLOWED, host: 'api.example.com' }), res, () => nexts++);
      assert.equal(nexts, 1);
      if (methods.includes('setHeader')) assert.equal(headers.get('access-control-allow-origin'), ALLOWED);
      else assert.equal(headers.size, 0);
    });

    it(`${label}: an actual request from a denied origin goes on without a grant`, () => {
      const { res, headers } = partial(methods);
      let nexts = 0;
      cors(request('GET', { origin: DENIED, host: 'api.example.com' }), res, () => nexts++);
      assert.equal(nexts, 1);
      assert.equal(headers.get('access-control-allow-origin'), undefined);
    });

    it(`${label}: a preflight is answered when the object can end, else handed on; never throws`, () => {
      const { res, calls, headers } = partial(methods);
      let nexts = 0;
      const req = request('OPTIONS', {
        origin: ALLOWED,
        host: 'api.example.com',
        'access-control-request-method': 'PUT',
      });
      cors(req, res, () => nexts++);
      const canEnd = methods.includes('writeHead') && methods.includes('end');
      assert.equal(nexts, canEnd ? 0 : 1);
      assert.equal(calls.includes('end'), canEnd);
      if (methods.includes('setHeader') || canEnd) assert.equal(headers.get('access-control-allow-origin'), ALLOWED);
      else assert.equal(headers.size, 0);
    });
  }

  it('a getHeaderNames that returns something not iterable is treated as no headers', () => {
    for (const bad of [undefined, null, 42, 'access-control-allow-origin', {}]) {
      const { res, headers } = partial(everything);
      (res as unknown as { getHeaderNames: () => unknown }).getHeaderNames = () => bad;
      headers.set('access-control-allow-origin', DENIED);
      let nexts = 0;
      cors(request('GET', { origin: ALLOWED, host: 'api.example.com' }), res, () => nexts++);
      assert.equal(nexts, 1);
      // Nothing could be listed, but the grant is still set to the allowed origin itself.
      assert.equal(headers.get('access-control-allow-origin'), ALLOWED);
    }
  });
});
