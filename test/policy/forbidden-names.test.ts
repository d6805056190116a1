// Entries that can never have an effect are refused at construction, each naming why:
// methods Node's parser refuses (400 before any JavaScript runs) or browsers never send,
// forbidden request-header names in allowedHeaders, Set-Cookie in exposedHeaders.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { METHODS, createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { CorsConfigError, corsSafety, createCorsPolicy, type CorsSafetyOptions } from '../../src/index.js';

function issuesOf(options: CorsSafetyOptions): { path: string; code: string; message: string }[] {
  try {
    createCorsPolicy({ origin: 'https://app.example.com', ...options });
  } catch (err) {
    assert.ok(err instanceof CorsConfigError);
    return err.issues.map((i) => ({ ...i }));
  }
  return [];
}

/** Sends one raw request line and returns the status line Node answers with. */
async function statusLineFor(method: string): Promise<string> {
  let reached = false;
  const server = createServer((_req, res) => {
    reached = true;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.end(`${method} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    await once(socket, 'close');
    return `${text.split('\r\n')[0] ?? ''}${reached ? ' (handler ran)' : ''}`;
  } finally {
    server.close();
  }
}

describe('methods Node or browsers can never deliver', () => {
  test('methods: ["patch"] is refused, naming PATCH as the fix', () => {
    const issues = issuesOf({ methods: ['GET', 'patch'] });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, 'methods[1]');
    assert.equal(issues[0]?.code, 'method-not-accepted-by-node');
    assert.match(issues[0]?.message ?? '', /Write "PATCH" here and send "PATCH" from the client/);
    assert.match(issues[0]?.message ?? '', /400/);
  });

  test('the claim holds: Node answers "patch" with 400 before the handler, and PATCH reaches it', async () => {
    assert.equal(await statusLineFor('patch'), 'HTTP/1.1 400 Bad Request');
    assert.equal(await statusLineFor('PATCH'), 'HTTP/1.1 200 OK (handler ran)');
  });

  test('every lower-case method of http.METHODS is refused with its upper-case form, which compiles', () => {
    const normalised = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
    for (const method of METHODS) {
      if (normalised.has(method) || ['CONNECT', 'TRACE'].includes(method)) continue;
      const issues = issuesOf({ methods: method.toLowerCase() });
      assert.equal(issues[0]?.code, 'method-not-accepted-by-node', method);
      assert.ok(issues[0]?.message.includes(`Write "${method}"`), method);
      assert.deepEqual(issuesOf({ methods: method }), [], method);
    }
    // The six that Fetch normalises stay accepted in any case, and are upper-cased.
    assert.deepEqual(createCorsPolicy({ origin: 'https://a.example', methods: 'get, Post, delete' }).methods, [
      'GET',
      'POST',
      'DELETE',
    ]);
  });

  test('methods outside http.METHODS are refused; mixed case without an upper-case match too', () => {
    for (const method of ['FOO', 'PaTcH', 'X-CUSTOM', 'BREW']) {
      const issues = issuesOf({ methods: [method] });
      assert.equal(issues[0]?.code, 'method-not-accepted-by-node', method);
    }
    assert.match(issuesOf({ methods: ['BREW'] })[0]?.message ?? '', /not in http\.METHODS/);
  });

  test('forbidden methods (Fetch §2.2.1) are refused in any case', () => {
    for (const method of ['CONNECT', 'TRACE', 'TRACK', 'connect', 'track']) {
      const issues = issuesOf({ methods: `GET, ${method}` });
      assert.equal(issues.length, 1, method);
      assert.equal(issues[0]?.code, 'method-forbidden', method);
      assert.match(issues[0]?.message ?? '', /browsers refuse to send it/);
    }
  });

  test('the preflight of a corrected policy grants PATCH', async () => {
    const cors = corsSafety({ origin: 'https://app.example.com', methods: ['GET', 'PATCH'] });
    const server = createServer((req, res) => cors(req, res, () => res.end('next')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'PATCH' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET, PATCH');
    } finally {
      server.close();
    }
  });
});

describe('header names that can never have an effect', () => {
  const forbidden = [
    'Accept-Charset',
    'Accept-Encoding',
    'Access-Control-Request-Headers',
    'Access-Control-Request-Method',
    'Connection',
    'Content-Length',
    'Cookie',
    'Cookie2',
    'Date',
    'DNT',
    'Expect',
    'Host',
    'Keep-Alive',
    'Origin',
    'Referer',
    'Set-Cookie',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Upgrade',
    'Via',
    'Proxy-Authorization',
    'Proxy-Anything',
    'Sec-Fetch-Site',
    'sec-ch-ua',
  ];

  test('forbidden request-header names in allowedHeaders are refused (Fetch §2.2.2)', () => {
    for (const name of forbidden) {
      const issues = issuesOf({ allowedHeaders: ['Content-Type', name] });
      assert.equal(issues.length, 1, name);
      assert.equal(issues[0]?.path, 'allowedHeaders[1]');
      assert.equal(issues[0]?.code, 'header-forbidden', name);
      assert.match(issues[0]?.message ?? '', /scripts cannot set it/);
    }
    assert.match(issuesOf({ allowedHeaders: 'Cookie' })[0]?.message ?? '', /credentials: true/);
  });

  test('ordinary names stay accepted, including near misses of the forbidden ones', () => {
    for (const name of ['Authorization', 'X-Requested-With', 'Content-Type', 'X-Proxy-Id', 'Secret', 'X-Sec-Token']) {
      assert.deepEqual(issuesOf({ allowedHeaders: [name] }), [], name);
    }
  });

  test('Set-Cookie and Set-Cookie2 in exposedHeaders are refused (Fetch §2.2.6)', () => {
    for (const name of ['Set-Cookie', 'set-cookie', 'Set-Cookie2']) {
      const issues = issuesOf({ exposedHeaders: `X-Request-Id, ${name}` });
      assert.equal(issues.length, 1, name);
      assert.equal(issues[0]?.code, 'expose-forbidden');
      assert.match(issues[0]?.message ?? '', /never let a script read it/);
    }
    assert.deepEqual(issuesOf({ exposedHeaders: ['X-Request-Id', 'Cookie-Policy'] }), []);
  });

  test('all problems are reported at once', () => {
    const codes = issuesOf({ methods: ['patch', 'TRACE'], allowedHeaders: ['Cookie'], exposedHeaders: ['Set-Cookie'] })
      .map((i) => i.code)
      .sort();
    assert.deepEqual(codes, [
      'expose-forbidden',
      'header-forbidden',
      'method-forbidden',
      'method-not-accepted-by-node',
    ]);
  });
});

describe('the methods Node parses', () => {
  test("the policy core's list (it imports no Node module) is exactly this Node's http.METHODS", async () => {
    const { NODE_METHODS } = await import('../../src/shared/methods.js');
    assert.deepEqual([...NODE_METHODS].sort(), [...METHODS].sort());
  });
});
