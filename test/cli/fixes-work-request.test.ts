/**
 * Every printed fix works when followed (issue #22), for the findings about the request itself
 * rather than the server's CORS headers: a redirect, a same-origin probe, mixed content, a method
 * Node refuses, a page in another address space or on another site, and a broken WebSocket
 * handshake. Each case runs the doctor against a real server on port 0, reads the finding's
 * printed fix, does exactly that (the next URL, the page origin, the scheme, the method, the
 * library), and runs the same probe again: the finding is gone and the request is allowed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/run.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { findingCodes, findingOf, cleanEnv, parseDoctorJson, runCli, type DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN, wsServer } from './servers.js';

const TIMEOUT = String(scaled(5000));

async function doctor(args: readonly string[]): Promise<{ code: number; json: DoctorJson }> {
  let stdout = '';
  const code = await run(['doctor', '--json', '--timeout', TIMEOUT, ...args], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
  });
  return { code, json: JSON.parse(stdout) as DoctorJson };
}

/** Grants exactly `allowed` (with credentials and Vary) on every response, redirects included. */
function granting(allowed: string, route: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === allowed) {
      res.setHeader('Access-Control-Allow-Origin', allowed);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, PATCH');
      res.writeHead(204).end();
      return;
    }
    route(req, res);
  };
}

const json = (res: http.ServerResponse): void => {
  res.setHeader('Content-Type', 'application/json');
  res.end('{"items":[]}');
};

describe('request-level fixes, followed, make the probe pass', () => {
  it('redirect-not-followed: running the doctor again against the printed Location passes', async () => {
    // A trailing-slash redirect, the usual one (express.static, Django's APPEND_SLASH).
    const api = await listen(
      http.createServer(
        granting(PAGE_ORIGIN, (req, res) => {
          if (req.url === '/api/items') res.writeHead(301, { Location: '/api/items/' }).end();
          else json(res);
        }),
      ),
    );
    try {
      const before = await doctor([`${api.url}/api/items`, '--origin', PAGE_ORIGIN]);
      assert.deepEqual(findingCodes(before.json), ['redirect-not-followed']);
      const fix = findingOf(before.json, 'redirect-not-followed').fix;
      const next = /^Run the doctor again against "([^"]+)", or call/.exec(fix)?.[1];
      assert.equal(next, `${api.url}/api/items/`, fix);
      const after = await doctor([next, '--origin', PAGE_ORIGIN]);
      assert.deepEqual(findingCodes(after.json), []);
      assert.equal(after.code, 0);
    } finally {
      await api.close();
    }
  });

  it('redirect-not-followed to another origin: the fix says --origin null, and that probe shows the real outcome', async () => {
    const target = await listen(http.createServer(granting('null', (_req, res) => json(res))));
    const api = await listen(
      http.createServer(
        granting(PAGE_ORIGIN, (_req, res) => res.writeHead(302, { Location: `${target.url}/v2` }).end()),
      ),
    );
    try {
      const before = await doctor([`${api.url}/v1`, '--origin', PAGE_ORIGIN]);
      const fix = findingOf(before.json, 'redirect-not-followed').fix;
      assert.match(fix, /against "http:\/\/127\.0\.0\.1:\d+\/v2" with --origin null/);
      // The target grants "null", which is what a browser sends after this redirect: allowed.
      const after = await doctor([`${target.url}/v2`, '--origin', 'null']);
      assert.deepEqual(findingCodes(after.json), []);
      assert.equal(after.json.verdict, 'allowed');
    } finally {
      await api.close();
      await target.close();
    }
  });

  it('same-origin: passing the origin of the page that calls the URL gives the real CORS verdict', async () => {
    const api = await listen(http.createServer(granting(PAGE_ORIGIN, (_req, res) => json(res))));
    try {
      const before = await doctor([`${api.url}/api/items`, '--origin', api.url]);
      assert.deepEqual(findingCodes(before.json), ['same-origin']);
      assert.match(findingOf(before.json, 'same-origin').fix, /--origin/);
      // The page is served from the dev server on :5173, not from the API.
      const after = await doctor([`${api.url}/api/items`, '--origin', PAGE_ORIGIN]);
      assert.deepEqual(findingCodes(after.json), []);
      assert.ok(after.json.steps.some((s) => s.name === 'actual' && s.response?.status === 200));
    } finally {
      await api.close();
    }
  });

  it('method-refused-by-node: sending the method the fix names (PATCH) reaches the handler and passes', async () => {
    let handled = 0;
    const api = await listen(
      http.createServer(
        granting(PAGE_ORIGIN, (_req, res) => {
          handled++;
          json(res);
        }),
      ),
    );
    try {
      const before = await doctor([`${api.url}/items/1`, '--origin', PAGE_ORIGIN, '-X', 'patch']);
      assert.equal(before.json.verdict, 'blocked');
      const fix = findingOf(before.json, 'method-refused-by-node').fix;
      assert.equal(handled, 0, "Node's parser answered 400 before the handler ran");
      const method = /fetch\(url, \{ method: '([A-Z]+)' \}\)/.exec(fix)?.[1];
      assert.equal(method, 'PATCH', fix);
      const after = await doctor([`${api.url}/items/1`, '--origin', PAGE_ORIGIN, '-X', method]);
      assert.deepEqual(findingCodes(after.json), []);
      assert.equal(handled, 1);
    } finally {
      await api.close();
    }
  });

  it('mixed-content: serving the API over https, as the fix says, passes', async () => {
    // A page on https calling an API by name over http; the name resolves to loopback (--resolve).
    const page = 'https://app.localhost';
    const cert = new URL('../fixtures/cli-tls-api-cert.pem', import.meta.url);
    const key = new URL('../fixtures/cli-tls-api-key.pem', import.meta.url);
    const handler = granting(page, (_req, res) => json(res));
    const plain = await listen(http.createServer(handler));
    const secure = await listen(https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, handler));
    const resolve = (port: number) => ['--resolve', `api.example.test:${port}:127.0.0.1`];
    try {
      const before = await doctor([
        `http://api.example.test:${plain.port}/api`,
        '--origin',
        page,
        ...resolve(plain.port),
      ]);
      assert.equal(before.json.verdict, 'blocked');
      assert.deepEqual(findingCodes(before.json), ['mixed-content']);
      assert.match(findingOf(before.json, 'mixed-content').fix, /^Serve the API over https/);
      // The same API over https (the test's CA trusted the way the doctor's TLS error says: NODE_EXTRA_CA_CERTS).
      const args = ['doctor', `https://api.example.test:${secure.port}/api`, '--origin', page, '--json'];
      const after = await runCli(
        [...args, ...resolve(secure.port)],
        cleanEnv({ NODE_EXTRA_CA_CERTS: fileURLToPath(cert) }),
      );
      assert.equal(after.code, 0, after.stderr);
      assert.deepEqual(findingCodes(parseDoctorJson(after.stdout)), []);
    } finally {
      await plain.close();
      await secure.close();
    }
  });

  it('local-network-access: a page in the same address space as the API gets no prompt and passes', async () => {
    // The API on loopback; the public page is what Chrome holds behind the permission prompt.
    const api = await listen(http.createServer(granting(PAGE_ORIGIN, (_req, res) => json(res))));
    try {
      const before = await doctor([`${api.url}/api/items`, '--origin', 'https://app.example.com']);
      const found = findingOf(before.json, 'local-network-access');
      assert.equal(found.detail, 'public-to-loopback');
      assert.match(found.fix, /on the client side.*Or serve the API on the same address space as the page/);
      // The page served from loopback too (the development setup): no Local Network Access, CORS allowed.
      const after = await doctor([`${api.url}/api/items`, '--origin', PAGE_ORIGIN]);
      assert.deepEqual(findingCodes(after.json), []);
    } finally {
      await api.close();
    }
  });

  it('cookies-cross-site: opening the page at the host the fix names makes page and API one site', async () => {
    const page = 'http://localhost:5173';
    const api = await listen(http.createServer(granting('http://127.0.0.1:5173', (_req, res) => json(res))));
    try {
      const before = await doctor([`${api.url}/me`, '--origin', page, '--credentials']);
      const fix = findingOf(before.json, 'cookies-cross-site').fix;
      const origin = /open the page at (\S+) or call the API/.exec(fix)?.[1];
      assert.equal(origin, 'http://127.0.0.1:5173', fix);
      const after = await doctor([`${api.url}/me`, '--origin', origin, '--credentials']);
      assert.deepEqual(findingCodes(after.json), []);
      assert.equal(after.code, 0);
    } finally {
      await api.close();
    }
  });
});

/** Answers every upgrade with 101 and a Sec-WebSocket-Accept that is not derived from the key. */
async function brokenUpgradeServer(): Promise<Running> {
  const server = http.createServer();
  server.on('upgrade', (_req, socket: net.Socket) => {
    socket.on('error', () => undefined);
    socket.end(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
  return listen(server);
}

describe('WebSocket handshake fixes, followed, make the probe pass', () => {
  it('ws-accept-invalid: letting a WebSocket library (ws) answer the handshake passes', async () => {
    const broken = await brokenUpgradeServer();
    try {
      const before = await doctor([`ws://127.0.0.1:${broken.port}/`, '--origin', PAGE_ORIGIN]);
      assert.equal(before.json.verdict, 'blocked');
      assert.deepEqual(findingCodes(before.json), ['ws-accept-invalid']);
      assert.match(findingOf(before.json, 'ws-accept-invalid').fix, /Let a WebSocket library answer the handshake/);
    } finally {
      await broken.close();
    }
    const fixed = await wsServer([PAGE_ORIGIN]);
    try {
      const after = await doctor([`ws://127.0.0.1:${fixed.port}/`, '--origin', PAGE_ORIGIN]);
      assert.deepEqual(findingCodes(after.json), []);
      assert.equal(after.code, 0);
    } finally {
      await fixed.close();
    }
  });
});
