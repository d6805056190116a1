/**
 * The doctor behind real nginx (issue #22, cases 3, 4 and 5): what it says, and that following
 * its fix makes the same probe pass. nginx is Debian's, started by the test on a free port.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import express from 'express';
import { Server } from 'socket.io';
import { corsErrorHandler, corsSafety, createAllowRequest, createCorsPolicy } from '../../src/index.js';
import { run } from '../../src/cli/run.js';
import { assertNginxPresent, nginxSkip, nginxSupport, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import type { DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN, wsServer } from './servers.js';

const support = nginxSupport('test/cli/doctor-nginx.test.ts');
const skip = nginxSkip(support);

async function doctor(args: readonly string[]): Promise<{ code: number; json: DoctorJson }> {
  let stdout = '';
  const code = await run(['doctor', '--json', '--timeout', String(scaled(5000)), ...args], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
  });
  return { code, json: JSON.parse(stdout) as DoctorJson };
}

function codes(json: DoctorJson): string[] {
  return json.findings.map((f) => `${f.code}${f.detail === undefined ? '' : `:${f.detail}`}:${f.severity}`);
}

/** An Express app with cors-safety as the README says, allowing PAGE_ORIGIN with credentials. */
function app(): Promise<Running> {
  const policy = createCorsPolicy({ origin: [PAGE_ORIGIN], credentials: true, env: {} });
  const expressApp = express();
  expressApp.use(corsSafety(policy));
  expressApp.get('/api/items', (_req, res) => {
    res.json({ items: [] });
  });
  expressApp.use(corsErrorHandler(policy));
  return listen(http.createServer(expressApp));
}

/** An app without any CORS of its own (nginx adds the headers). */
function bareApp(): Promise<Running> {
  return listen(
    http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"items":[]}');
    }),
  );
}

async function nginx(t: TestContext, server: (port: number) => string): Promise<RunningNginx> {
  const running = await startNginx(support, (_dir, port) => server(port));
  t.after(() => running.stop());
  return running;
}

describe('doctor behind real nginx', { skip }, () => {
  let upstream: Running;
  let bare: Running;
  before(async () => {
    assertNginxPresent(support);
    upstream = await app();
    bare = await bareApp();
  });
  after(async () => {
    await upstream?.close();
    await bare?.close();
  });

  it('case 3: nginx reflecting any Origin with credentials is CRITICAL, even from the page origin; the fix removes it', async (t) => {
    const reflecting = await nginx(
      t,
      (port) => `server {
        listen 127.0.0.1:${port};
        location / {
          add_header Access-Control-Allow-Origin $http_origin always;
          add_header Access-Control-Allow-Credentials true always;
          proxy_pass http://127.0.0.1:${bare.port};
        }
      }`,
    );
    const url = `${reflecting.url}/api/items`;
    const evil = await doctor([url, '--origin', 'https://evil.example', '--credentials']);
    assert.ok(codes(evil.json).includes('allow-origin-reflected:credentials:critical'), codes(evil.json).join());
    const page = await doctor([url, '--origin', PAGE_ORIGIN, '--credentials']);
    assert.equal(page.json.verdict, 'allowed');
    const finding = page.json.findings.find((f) => f.code === 'allow-origin-reflected');
    assert.equal(finding?.severity, 'critical');
    assert.match(finding?.fix ?? '', /remove the reflection/);

    // The fix: no add_header in nginx, the app's allow-list decides.
    const fixed = await nginx(
      t,
      (port) => `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${upstream.port}; } }`,
    );
    const after = await doctor([`${fixed.url}/api/items`, '--origin', PAGE_ORIGIN, '--credentials']);
    assert.deepEqual(codes(after.json), []);
    assert.equal(after.code, 0);
    assert.equal(after.json.steps.at(-1)?.name, 'foreign-origin');
  });

  it("case 5: nginx's own 400 (cookie too large) is not blamed on the generated files; raising the buffers fixes it", async (t) => {
    const site = (port: number, buffers: string) => `server {
        listen 127.0.0.1:${port};
        large_client_header_buffers ${buffers};
        location /api/ { proxy_pass http://127.0.0.1:${upstream.port}; }
      }`;
    const small = await nginx(t, (port) => site(port, '2 1k'));
    const cookie = `session=${'x'.repeat(2000)}`;
    const before = await doctor([`${small.url}/api/items`, '--origin', PAGE_ORIGIN, '--cookie', cookie]);
    assert.equal(before.json.verdict, 'blocked');
    const finding = before.json.findings[0];
    assert.equal(`${finding?.code}:${finding?.detail}`, 'no-allow-origin:proxy-own-error');
    assert.match(finding?.cause ?? '', /made by nginx itself.*cover only 413, 429, 500, 502, 503 and 504/);
    assert.match(finding?.fix ?? '', /large_client_header_buffers 4 32k/);
    assert.doesNotMatch(JSON.stringify(before.json), /xxxxxxxx/, 'the cookie value is never printed');

    const large = await nginx(t, (port) => site(port, '4 32k'));
    const after = await doctor([`${large.url}/api/items`, '--origin', PAGE_ORIGIN, '--cookie', cookie]);
    assert.deepEqual(codes(after.json), []);
    assert.equal(after.code, 0);
  });

  it("case 5: nginx's own 404 (no location proxies the path) says so", async (t) => {
    const site = await nginx(
      t,
      (port) =>
        `server { listen 127.0.0.1:${port}; root /nonexistent; location /api/ { proxy_pass http://127.0.0.1:${upstream.port}; } }`,
    );
    const { json } = await doctor([`${site.url}/v2/items`, '--origin', PAGE_ORIGIN]);
    const finding = json.findings[0];
    assert.equal(`${finding?.code}:${finding?.detail}`, 'no-allow-origin:proxy-own-error');
    assert.match(finding?.fix ?? '', /Proxy this path to the app/);
    // Following it: the path the app serves, through the proxied location.
    const fixed = await doctor([`${site.url}/api/items`, '--origin', PAGE_ORIGIN]);
    assert.deepEqual(codes(fixed.json), []);
  });
});

describe('doctor --ws behind real nginx', { skip }, () => {
  before(() => assertNginxPresent(support));

  it('ws-refused (bad-handshake): the three nginx lines the fix prints let the handshake through', async (t) => {
    const ws = await wsServer([PAGE_ORIGIN]);
    t.after(() => ws.close());
    const site = (upgrade: string) => (port: number) =>
      `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${ws.port}; ${upgrade} } }`;
    const plain = await nginx(t, site(''));
    const before = await doctor([`ws://127.0.0.1:${plain.port}/`, '--origin', PAGE_ORIGIN]);
    assert.deepEqual(codes(before.json), ['ws-refused:bad-handshake:error']);
    const fix = before.json.findings[0]?.fix ?? '';
    const lines = /\(nginx: (.+)\)\.$/.exec(fix)?.[1];
    assert.equal(
      lines,
      'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
    );

    const fixed = await nginx(t, site(lines));
    const after = await doctor([`ws://127.0.0.1:${fixed.port}/`, '--origin', PAGE_ORIGIN]);
    assert.deepEqual(codes(after.json), []);
    assert.equal(after.code, 0);
  });
});

/** Two socket.io processes (two engines, as two Node processes would have) with the same policy. */
async function socketIoPair(t: TestContext): Promise<number[]> {
  const policy = createCorsPolicy({ origin: PAGE_ORIGIN, credentials: true, allowedHosts: ['127.0.0.1:*'], env: {} });
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const server = http.createServer();
    const io = new Server(server, { allowRequest: createAllowRequest(policy) });
    io.engine.use(corsSafety(policy));
    const running = await listen(server);
    t.after(async () => {
      await io.close();
      await running.close();
    });
    ports.push(running.port);
  }
  return ports;
}

function balancer(ports: readonly number[], sticky: boolean): (port: number) => string {
  return (port) => `upstream sio {
      ${sticky ? 'ip_hash;' : ''}
      ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')}
    }
    server {
      listen 127.0.0.1:${port};
      location /socket.io/ {
        proxy_pass http://sio;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Host $http_host;
      }
    }`;
}

describe('doctor --socketio behind a round-robin balancer (case 4)', { skip }, () => {
  before(() => assertNginxPresent(support));

  it('without sticky sessions: socketio-session-unknown (BLOCKED); with ip_hash, as the fix says: ALLOWED', async (t) => {
    const ports = await socketIoPair(t);
    const roundRobin = await nginx(t, balancer(ports, false));
    const before = await doctor(['--socketio', roundRobin.url, '--origin', PAGE_ORIGIN, '--credentials']);
    assert.equal(before.json.verdict, 'blocked');
    assert.equal(before.code, 1);
    const finding = before.json.findings.find((f) => f.code === 'socketio-session-unknown');
    assert.ok(finding, codes(before.json).join());
    assert.match(finding.cause, /Session ID unknown/);
    assert.match(finding.fix, /ip_hash/);

    const sticky = await nginx(t, balancer(ports, true));
    const after = await doctor(['--socketio', sticky.url, '--origin', PAGE_ORIGIN, '--credentials']);
    assert.deepEqual(codes(after.json), []);
    assert.equal(after.code, 0);
  });
});
