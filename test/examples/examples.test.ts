/**
 * Every program in examples/ runs here as a child process, exactly as a user would run it
 * (`PORT=0 node examples/<name>.mjs`, importing the built `cors-safety`), and answers real
 * requests: an allowed origin gets the grant on successes and errors alike, a denied origin gets
 * nothing, WebSocket handshakes follow the same policy, and SIGTERM stops the program cleanly.
 * nginx.conf is checked as text here, and run under real nginx in test/proxy/nginx.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { io as connectSocketIo, type Socket as SocketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import {
  ROOT,
  assertBuilt,
  assertGranted,
  assertNotGranted,
  killAll,
  request,
  startProgram,
  type Program,
} from './child.js';
import { scaled } from '../helpers/time.js';

const ALLOWED = 'http://localhost:5173';
const DENIED = 'https://evil.example';

before(() =>
  assertBuilt(['corsSafety', 'corsErrorHandler', 'notFound', 'createCorsPolicy', 'upgradeGuard', 'createAllowRequest']),
);
after(killAll);

function json(body: string): unknown {
  return JSON.parse(body) as unknown;
}

/** Starts the example for one describe block and stops it in `after`. */
function useProgram(file: string, env: Record<string, string> = {}): { get: () => Program } {
  let program: Program | undefined;
  before(async () => {
    program = await startProgram(file, env);
  });
  after(async () => {
    await program?.stop();
  });
  return {
    get: () => {
      assert.ok(program !== undefined, `${file} did not start`);
      return program;
    },
  };
}

/** The last test of each group: SIGTERM ends the program with exit code 0. */
function itStopsOnSigterm(program: { get: () => Program }): void {
  it('exits with code 0 on SIGTERM', async () => {
    assert.deepEqual(await program.get().stop(), { code: 0, signal: null });
  });
}

/** Opens a ws client with `origin`; resolves `open` or the handshake's HTTP status. */
function connect(url: string, origin: string): Promise<{ socket: WebSocket } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { origin, handshakeTimeout: scaled(5000) });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message within ${scaled(5000)} ms`)), scaled(5000));
    socket.once('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve(data.toString('utf8'));
    });
  });
}

describe('examples/express-error-handler.mjs', () => {
  const program = useProgram('examples/express-error-handler.mjs');

  it('an allowed origin reads the 401 of the auth check, with credentials', async () => {
    const res = await request(`${program.get().url}/api/me`, { headers: { Origin: ALLOWED } });
    assert.equal(res.status, 401);
    assertGranted(res, ALLOWED, true);
    assert.deepEqual(json(res.body), { error: { status: 401, message: 'sign in first' } });
    const ok = await request(`${program.get().url}/api/me`, {
      headers: { Origin: ALLOWED, Authorization: 'Bearer demo-token' },
    });
    assert.equal(ok.status, 200);
    assertGranted(ok, ALLOWED, true);
  });

  it('a 500 keeps the grant and hides the error message', async () => {
    const res = await request(`${program.get().url}/api/boom`, { headers: { Origin: ALLOWED } });
    assert.equal(res.status, 500);
    assertGranted(res, ALLOWED, true);
    assert.deepEqual(json(res.body), { error: { status: 500, message: 'Internal Server Error' } });
    assert.ok(!res.body.includes('hunter2'));
    // ...while the server's own log gets the whole error.
    await program
      .get()
      .waitForOutput(/500 GET \/api\/boom: Error: connection to postgres:\/\/admin:hunter2@db failed/, scaled(5000));
  });

  it('400 from express.json() and 404 from notFound() keep the grant', async () => {
    const bad = await request(`${program.get().url}/api/items`, {
      method: 'POST',
      headers: { Origin: ALLOWED, 'Content-Type': 'application/json' },
      body: '{"a":',
    });
    assert.equal(bad.status, 400);
    assertGranted(bad, ALLOWED, true);
    const created = await request(`${program.get().url}/api/items`, {
      method: 'POST',
      headers: { Origin: ALLOWED, 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(created.status, 201);
    assert.deepEqual(json(created.body), { created: { a: 1 } });
    const missing = await request(`${program.get().url}/nowhere`, { headers: { Origin: ALLOWED } });
    assert.equal(missing.status, 404);
    assertGranted(missing, ALLOWED, true);
  });

  it('a preflight for Authorization is granted to the allowed origin and refused (403, no grant) to another', async () => {
    const headers = { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' };
    const granted = await request(`${program.get().url}/api/me`, {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED, ...headers },
    });
    assert.equal(granted.status, 204);
    assertGranted(granted, ALLOWED, true);
    assert.match(String(granted.headers['access-control-allow-headers']), /authorization/i);
    const refused = await request(`${program.get().url}/api/me`, {
      method: 'OPTIONS',
      headers: { Origin: DENIED, ...headers },
    });
    assert.equal(refused.status, 403);
    assertNotGranted(refused);
  });

  it('a denied origin gets no grant, on errors either', async () => {
    const res = await request(`${program.get().url}/api/boom`, { headers: { Origin: DENIED } });
    assert.equal(res.status, 500);
    assertNotGranted(res);
  });

  itStopsOnSigterm(program);
});

describe('examples/express-ws-chat.mjs', () => {
  const program = useProgram('examples/express-ws-chat.mjs');
  const sockets: WebSocket[] = [];
  after(() => sockets.forEach((socket) => socket.terminate()));

  it('HTTP: the allowed origin is granted, another is not', async () => {
    const ok = await request(`${program.get().url}/api/online`, { headers: { Origin: ALLOWED } });
    assert.equal(ok.status, 200);
    assertGranted(ok, ALLOWED, true);
    assertNotGranted(await request(`${program.get().url}/api/online`, { headers: { Origin: DENIED } }));
  });

  it('two clients from the allowed origin chat: a message is broadcast to both', async () => {
    const url = `ws://127.0.0.1:${program.get().port}/chat`;
    const first = await connect(url, ALLOWED);
    const second = await connect(url, ALLOWED);
    assert.ok('socket' in first && 'socket' in second, 'allowed handshakes must open');
    sockets.push(first.socket, second.socket);
    const received = Promise.all([nextMessage(first.socket), nextMessage(second.socket)]);
    first.socket.send('hello, chat');
    assert.deepEqual(await received, ['hello, chat', 'hello, chat']);
  });

  it('a denied origin gets 403 and the program logs the reason', async () => {
    const outcome = await connect(`ws://127.0.0.1:${program.get().port}/chat`, DENIED);
    assert.deepEqual(outcome, { status: 403 });
    await program
      .get()
      .waitForOutput(/refused WebSocket from https:\/\/evil\.example: origin-not-allowed/, scaled(5000));
  });

  it('another path gets 404, even from the allowed origin', async () => {
    assert.deepEqual(await connect(`ws://127.0.0.1:${program.get().port}/other`, ALLOWED), { status: 404 });
  });

  itStopsOnSigterm(program);
});

/** Connects socket.io-client from `origin` (default transports: polling, then the upgrade). */
function socketIo(url: string, origin: string): Promise<{ socket: SocketIoClient } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connectSocketIo(url, { extraHeaders: { origin }, reconnection: false, forceNew: true });
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (err) => {
      socket.close();
      resolve({ error: err.message });
    });
  });
}

describe('examples/express-socketio.mjs', () => {
  const program = useProgram('examples/express-socketio.mjs');
  const sockets: SocketIoClient[] = [];
  after(() => sockets.forEach((socket) => socket.close()));

  it('HTTP: the allowed origin is granted, another is not', async () => {
    const ok = await request(`${program.get().url}/api/online`, { headers: { Origin: ALLOWED } });
    assert.equal(ok.status, 200);
    assertGranted(ok, ALLOWED, true);
    assertNotGranted(await request(`${program.get().url}/api/online`, { headers: { Origin: DENIED } }));
  });

  it('the long-polling handshake carries the grant for the allowed origin only', async () => {
    const path = `${program.get().url}/socket.io/?EIO=4&transport=polling`;
    const ok = await request(path, { headers: { Origin: ALLOWED } });
    assert.equal(ok.status, 200);
    assertGranted(ok, ALLOWED, true);
    const refused = await request(path, { headers: { Origin: DENIED } });
    assert.equal(refused.status, 403);
    assertNotGranted(refused);
  });

  it('two clients from the allowed origin chat over socket.io: a message reaches both', async () => {
    const first = await socketIo(program.get().url, ALLOWED);
    const second = await socketIo(program.get().url, ALLOWED);
    assert.ok('socket' in first && 'socket' in second, 'allowed origins must connect');
    sockets.push(first.socket, second.socket);
    const received = Promise.all(
      [first.socket, second.socket].map((socket) => new Promise((resolve) => socket.once('chat', resolve))),
    );
    first.socket.emit('chat', 'hello, chat');
    assert.deepEqual(await received, ['hello, chat', 'hello, chat']);
  });

  it('a denied origin gets connect_error and the program logs the reason', async () => {
    assert.deepEqual(await socketIo(program.get().url, DENIED), { error: 'xhr poll error' });
    await program.get().waitForOutput(/refused socket\.io from https:\/\/evil\.example: origin-not-allowed/, 5000);
  });

  itStopsOnSigterm(program);
});

/** node:http and Connect share the routes /api/hello and /api/boom. */
function plainRouteSuite(file: string, credentials: boolean): void {
  describe(file, () => {
    const program = useProgram(file);

    it('allowed origin: 200, a 500 without internals and a 404, all with the grant', async () => {
      const hello = await request(`${program.get().url}/api/hello`, { headers: { Origin: ALLOWED } });
      assert.equal(hello.status, 200);
      assertGranted(hello, ALLOWED, credentials);
      assert.deepEqual(json(hello.body), { hello: 'world' });
      const boom = await request(`${program.get().url}/api/boom`, { headers: { Origin: ALLOWED } });
      assert.equal(boom.status, 500);
      assertGranted(boom, ALLOWED, credentials);
      assert.deepEqual(json(boom.body), { error: { status: 500, message: 'Internal Server Error' } });
      const missing = await request(`${program.get().url}/nowhere`, { headers: { Origin: ALLOWED } });
      assert.equal(missing.status, 404);
      assertGranted(missing, ALLOWED, credentials);
      assert.deepEqual(json(missing.body), { error: { status: 404, message: 'Not Found' } });
    });

    it('preflight: answered by corsSafety() for the allowed origin, 403 for another', async () => {
      const headers = { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' };
      const ok = await request(`${program.get().url}/api/hello`, {
        method: 'OPTIONS',
        headers: { Origin: ALLOWED, ...headers },
      });
      assert.equal(ok.status, 204);
      assertGranted(ok, ALLOWED, credentials);
      const refused = await request(`${program.get().url}/api/hello`, {
        method: 'OPTIONS',
        headers: { Origin: DENIED, ...headers },
      });
      assert.equal(refused.status, 403);
      assertNotGranted(refused);
    });

    it('a denied origin gets no grant', async () => {
      const res = await request(`${program.get().url}/api/hello`, { headers: { Origin: DENIED } });
      assert.equal(res.status, 200);
      assertNotGranted(res);
    });

    if (file.includes('connect')) {
      it('the https://*.example.com pattern: any https subdomain, not http', async () => {
        const sub = await request(`${program.get().url}/api/hello`, {
          headers: { Origin: 'https://team.example.com' },
        });
        assertGranted(sub, 'https://team.example.com', credentials);
        assertNotGranted(
          await request(`${program.get().url}/api/hello`, { headers: { Origin: 'http://team.example.com' } }),
        );
        assertNotGranted(
          await request(`${program.get().url}/api/hello`, { headers: { Origin: 'https://example.com.evil.example' } }),
        );
      });
    }

    itStopsOnSigterm(program);
  });
}

plainRouteSuite('examples/node-http.mjs', false);
plainRouteSuite('examples/connect.mjs', true);

describe('examples/env-config.mjs', () => {
  const program = useProgram('examples/env-config.mjs', {
    CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
    CORS_CREDENTIALS: 'true',
  });

  it('reads CORS_ALLOWED_ORIGINS and CORS_CREDENTIALS', async () => {
    assert.match(
      program.get().output(),
      /CORS policy from environment: https:\/\/app\.example\.com, http:\/\/localhost:5173; credentials true/,
    );
    for (const origin of ['https://app.example.com', ALLOWED]) {
      const res = await request(`${program.get().url}/api/hello`, { headers: { Origin: origin } });
      assertGranted(res, origin, true);
    }
  });

  it('only the listed origins: another loopback port (allowed by the no-config default) is denied', async () => {
    assertNotGranted(await request(`${program.get().url}/api/hello`, { headers: { Origin: 'http://localhost:3001' } }));
    assertNotGranted(await request(`${program.get().url}/nowhere`, { headers: { Origin: DENIED } }));
  });

  it('an invalid variable stops the program at startup, naming the variable', async () => {
    await assert.rejects(
      startProgram('examples/env-config.mjs', {
        CORS_ALLOWED_ORIGINS: 'https://app.example.com',
        CORS_CREDENTIALS: 'maybe',
      }),
      /CORS_CREDENTIALS/,
    );
  });

  it('with nothing set (development), loopback origins are allowed, with credentials', async () => {
    const dev = await startProgram('examples/env-config.mjs');
    try {
      assert.match(dev.output(), /CORS policy from development-default: .*; credentials true/);
      const res = await request(`${dev.url}/api/hello`, { headers: { Origin: 'http://localhost:3001' } });
      assertGranted(res, 'http://localhost:3001', true);
      assertNotGranted(await request(`${dev.url}/api/hello`, { headers: { Origin: DENIED } }));
    } finally {
      await dev.stop();
    }
  });

  itStopsOnSigterm(program);
});

describe('examples/multi-tenant.mjs', () => {
  const program = useProgram('examples/multi-tenant.mjs');
  const call = (host: string, origin: string, method = 'GET', headers: Record<string, string> = {}) =>
    request(`${program.get().url}/api/whoami`, { method, headers: { Host: host, Origin: origin, ...headers } });

  it("a tenant's own origins are granted, with credentials, preflight included", async () => {
    for (const origin of ['https://acme.example.com', 'https://portal.acme.test']) {
      const res = await call('acme.localhost', origin);
      assert.equal(res.status, 200);
      assertGranted(res, origin, true);
      assert.deepEqual(json(res.body), { tenant: 'acme' });
    }
    const preflight = await call('acme.api.example.com', 'https://acme.example.com', 'OPTIONS', {
      'Access-Control-Request-Method': 'DELETE',
    });
    assert.equal(preflight.status, 204);
    assertGranted(preflight, 'https://acme.example.com', true);
  });

  it("another tenant's origin, a suspended tenant and an unknown tenant get nothing", async () => {
    assertNotGranted(await call('acme.localhost', 'https://globex.example.com'));
    assertGranted(await call('globex.localhost', 'https://globex.example.com'), 'https://globex.example.com', true);
    assertNotGranted(await call('initech.localhost', 'https://initech.example.com'));
    assertNotGranted(await call('nobody.localhost', 'https://acme.example.com'));
    assertNotGranted(await call('127.0.0.1', 'https://acme.example.com'));
    const preflight = await call('acme.localhost', 'https://globex.example.com', 'OPTIONS', {
      'Access-Control-Request-Method': 'DELETE',
    });
    assert.equal(preflight.status, 403);
    assertNotGranted(preflight);
  });

  itStopsOnSigterm(program);
});

describe('examples/nginx.conf', () => {
  const text = readFileSync(`${ROOT}examples/nginx.conf`, 'utf8');
  // Directives only: comments explain what NOT to write and must not count.
  const directives = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
  const config = directives.join('\n');

  it('adds no CORS header: the app owns CORS, and two Access-Control-Allow-Origin values break it', () => {
    assert.doesNotMatch(config, /add_header\s+["']?Access-Control-/i);
    assert.doesNotMatch(config, /more_set_headers[^;]*Access-Control-/i);
    // No blanket answer to preflights either: they must reach the app.
    assert.doesNotMatch(config, /\$request_method\s*=\s*["']?OPTIONS/i);
    assert.doesNotMatch(config, /proxy_hide_header\s+Access-Control-/i);
  });

  it('forwards Host, X-Forwarded-Proto/Host, and Upgrade/Connection for WebSockets over HTTP/1.1', () => {
    assert.match(config, /proxy_set_header\s+Host\s+\$host;/);
    assert.match(config, /proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;/);
    assert.match(config, /proxy_set_header\s+X-Forwarded-Host\s+\$host;/);
    assert.match(config, /proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    assert.match(config, /proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    assert.match(config, /map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade;/);
    assert.match(config, /proxy_http_version\s+1\.1;/);
    assert.match(config, /proxy_pass\s+http:\/\/\S+;/);
  });

  it('explains itself: the app owns CORS, and when trustProxy is safe', () => {
    assert.match(text, /The app owns CORS/);
    assert.match(text, /trustProxy: true/);
  });

  it('includes the files cors-safety nginx generates: the maps in http { }, the error pages in server { }', () => {
    assert.match(config, /^include \/etc\/nginx\/cors-safety\/cors-safety-http\.conf;$/m);
    const server = config.slice(config.indexOf('server {'));
    assert.match(server, /^include \/etc\/nginx\/cors-safety\/cors-safety-server\.conf;$/m);
    // At server level: a location with its own error_page would not inherit the generated ones.
    assert.ok(server.indexOf('cors-safety-server.conf') < server.indexOf('location '));
    assert.doesNotMatch(config, /error_page|proxy_intercept_errors\s+on/);
  });

  it('is balanced: every { has its }', () => {
    assert.equal((config.match(/\{/g) ?? []).length, (config.match(/\}/g) ?? []).length);
  });
});
