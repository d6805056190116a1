import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { describeNetworkError, nodeTransport, ProbeError, websocketAccept, websocketKey } from '../../src/cli/probe.js';
import { handshakeHeaders } from '../../src/cli/ws-probe.js';
import type { Running } from './servers.js';
import { listen, PAGE_ORIGIN, refusedPort, silentServer, wsServer } from './servers.js';

describe('nodeTransport over real sockets', () => {
  let server: Running;
  const seen: http.IncomingHttpHeaders[] = [];
  const rawSeen: string[][] = [];
  const paths: string[] = [];
  let streamClosed: Promise<void> = Promise.resolve();

  before(async () => {
    server = await listen(
      http.createServer((req, res) => {
        seen.push(req.headers);
        rawSeen.push(req.rawHeaders);
        paths.push(req.url ?? '');
        if (req.url === '/dup') {
          res.setHeader('Access-Control-Allow-Origin', ['https://a.example', 'https://a.example']);
          res.end('x');
        } else if (req.url === '/redirect') {
          res.writeHead(301, { Location: '/elsewhere' }).end();
        } else if (req.url === '/stream') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write('data: 1\n\n');
          streamClosed = new Promise((resolve) => res.on('close', () => resolve()));
        } else {
          res.end('ok');
        }
      }),
    );
  });
  after(() => server.close());

  it('sends Origin as given and keeps duplicate response lines', async () => {
    const res = await nodeTransport.request({
      method: 'GET',
      url: new URL(`${server.url}/dup`),
      headers: [['Origin', PAGE_ORIGIN]],
      timeoutMs: 2000,
    });
    assert.equal(seen.at(-1)?.origin, PAGE_ORIGIN);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.headers.filter(([n]) => n.toLowerCase() === 'access-control-allow-origin').map(([, v]) => v),
      ['https://a.example', 'https://a.example'],
    );
  });

  it('sends header names that are Object.prototype members as given (doctor -H)', async () => {
    // `-H 'constructor: x'` sent "function Object() { [native code] }, x"; `-H '__proto__: x'` sent nothing.
    const names = Object.getOwnPropertyNames(Object.prototype).filter((name) => /^[A-Za-z_]+$/.test(name));
    await nodeTransport.request({
      method: 'GET',
      url: new URL(server.url),
      headers: [['Origin', PAGE_ORIGIN], ...names.map((name): [string, string] => [name, 'x'])],
      timeoutMs: 2000,
    });
    // Read from the raw lines: Node's own req.headers object is not keyed safely by `__proto__`.
    const raw = rawSeen.at(-1) ?? [];
    for (const name of names) {
      const at = raw.findIndex((item, i) => i % 2 === 0 && item.toLowerCase() === name.toLowerCase());
      assert.equal(raw[at + 1], 'x', name);
    }
  });

  it('returns a redirect instead of following it', async () => {
    const res = await nodeTransport.request({
      method: 'OPTIONS',
      url: new URL(`${server.url}/redirect`),
      headers: [],
      timeoutMs: 2000,
    });
    assert.equal(res.status, 301);
    assert.deepEqual(
      res.headers.find(([n]) => n.toLowerCase() === 'location'),
      ['Location', '/elsewhere'],
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(paths.includes('/elsewhere'), false);
  });

  it('resolves at the headers of a response that never ends, then closes the connection', async () => {
    const res = await nodeTransport.request({
      method: 'GET',
      url: new URL(`${server.url}/stream`),
      headers: [],
      timeoutMs: 2000,
    });
    assert.equal(res.status, 200);
    await streamClosed; // the doctor hung up; otherwise this test would time out
  });
});

describe('nodeTransport failures', () => {
  it('times out with ETIMEDOUT when the server never answers', async () => {
    const server = await silentServer();
    try {
      const started = Date.now();
      await assert.rejects(
        nodeTransport.request({ method: 'GET', url: new URL(server.url), headers: [], timeoutMs: 150 }),
        (err: unknown) =>
          err instanceof ProbeError && err.code === 'ETIMEDOUT' && /no response within 150 ms/.test(err.message),
      );
      assert.ok(Date.now() - started < 2000);
    } finally {
      await server.close();
    }
  });

  it('reports a refused connection in one line', async () => {
    const port = await refusedPort();
    await assert.rejects(
      nodeTransport.request({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: [], timeoutMs: 2000 }),
      (err: unknown) =>
        err instanceof ProbeError &&
        err.message === `cannot reach http://127.0.0.1:${port}/: connection refused (ECONNREFUSED)`,
    );
  });

  it('maps error codes to readable reasons', () => {
    const url = new URL('https://api.example.com/');
    const cases: [unknown, RegExp][] = [
      [
        Object.assign(new Error('getaddrinfo ENOTFOUND api.example.com'), { code: 'ENOTFOUND' }),
        /DNS lookup failed for api\.example\.com \(ENOTFOUND\)$/,
      ],
      [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), /closed the connection before answering/],
      [
        Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
        /TLS error: self-signed certificate/,
      ],
      [
        new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]),
        /connection refused \(ECONNREFUSED\)/,
      ],
      [
        Object.assign(new Error('Parse Error: Invalid header value char'), { code: 'HPE_INVALID_HEADER_TOKEN' }),
        /invalid HTTP response/,
      ],
    ];
    for (const [err, expected] of cases) {
      const probeError = describeNetworkError(err, url);
      assert.match(probeError.message, /^cannot reach https:\/\/api\.example\.com\/: /);
      assert.match(probeError.message, expected);
    }
  });
});

describe('WebSocket handshakes over real sockets', () => {
  it('is upgraded by an accepting ws server, with a valid Sec-WebSocket-Accept', async () => {
    const server = await wsServer([PAGE_ORIGIN]);
    try {
      const key = websocketKey();
      const res = await nodeTransport.upgrade({
        method: 'GET',
        url: new URL(server.url.replace('http', 'ws')),
        headers: handshakeHeaders(PAGE_ORIGIN, key),
        timeoutMs: 2000,
      });
      assert.equal(res.status, 101);
      assert.equal(res.upgraded, true);
      assert.equal(res.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-accept')?.[1], websocketAccept(key));
    } finally {
      await server.close();
    }
  });

  it('gets the refusal status from a refusing one', async () => {
    const server = await wsServer([PAGE_ORIGIN]);
    try {
      const res = await nodeTransport.upgrade({
        method: 'GET',
        url: new URL(server.url),
        headers: handshakeHeaders('https://evil.example', websocketKey()),
        timeoutMs: 2000,
      });
      assert.equal(res.status, 403);
      assert.equal(res.upgraded, false);
    } finally {
      await server.close();
    }
  });

  it('computes the RFC 6455 accept value', () => {
    // RFC 6455 §1.3 example.
    assert.equal(websocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});
