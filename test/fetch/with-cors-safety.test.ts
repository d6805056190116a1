/**
 * withCorsSafety() under Node's own Request/Response: the table the Express suites use (allowed,
 * denied, preflight, 401/400/404/413/500, thrown error), each answer compared with what the Node
 * middleware writes for the same request over a real socket.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { corsSafety, createCorsPolicy, createLivePolicy, REASON_HEADER } from '../../src/index.js';
import { withCorsSafety } from '../../src/fetch/index.js';
import { listen, type Running } from '../helpers/listen.js';
import { collectWarnings } from '../helpers/warnings.js';

const warnings = collectWarnings();

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const policy = createCorsPolicy({
  origin: APP,
  credentials: true,
  exposedHeaders: ['X-Request-Id'],
  methods: ['GET', 'POST', 'PUT'],
  allowedHeaders: ['Content-Type', 'Authorization'],
  exposeReason: true,
});

/** Status and headers per path, the same for the fetch handler and the node:http one. */
const ROUTES: Record<string, { status: number; headers: Record<string, string> }> = {
  '/ok': { status: 200, headers: { 'X-Request-Id': 'r-1', Vary: 'Accept-Encoding' } },
  '/unauthorized': { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
  '/bad': { status: 400, headers: {} },
  '/missing': { status: 404, headers: {} },
  '/too-large': { status: 413, headers: {} },
  '/fail': { status: 500, headers: {} },
  // A handler that tries to grant every origin itself: the policy decides instead.
  '/grants-all': { status: 200, headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Max-Age': '9' } },
};

const fetchHandler = withCorsSafety(policy, (request: Request) => {
  const path = new URL(request.url).pathname;
  if (path === '/throw') throw Object.assign(new Error('db password is hunter2'), { stack: 'at secret.ts:1' });
  if (path === '/redirect') return Response.redirect('http://localhost/ok', 302);
  const route = ROUTES[path] ?? { status: 404, headers: {} };
  return new Response(`status ${route.status}`, { status: route.status, headers: route.headers });
});

let node: Running;
before(async () => {
  const cors = corsSafety(policy);
  node = await listen(
    http.createServer((req, res) =>
      cors(req, res, () => {
        const route = ROUTES[req.url ?? ''] ?? { status: 404, headers: {} };
        res.writeHead(route.status, route.headers).end(`status ${route.status}`);
      }),
    ),
  );
});
after(() => node.close());

/** The CORS-relevant part of a response's headers. */
function corsPart(headers: Headers): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith('access-control-') || name === REASON_HEADER.toLowerCase()) picked[name] = value;
    // Field order in Vary carries no meaning (RFC 9110 §12.5.5).
    if (name === 'vary')
      picked[name] = value
        .split(/\s*,\s*/)
        .sort()
        .join(', ');
  }
  return picked;
}

async function both(path: string, init: RequestInit): Promise<{ viaFetch: Response; viaNode: Response }> {
  const viaFetch = await fetchHandler(new Request(`http://localhost${path}`, init));
  const viaNode = await fetch(`${node.url}${path}`, init);
  return { viaFetch, viaNode };
}

describe('withCorsSafety(): the same headers as the Node middleware', () => {
  for (const path of Object.keys(ROUTES)) {
    for (const origin of [APP, EVIL]) {
      test(`GET ${path} from ${origin === APP ? 'an allowed' : 'a denied'} origin`, async () => {
        const { viaFetch, viaNode } = await both(path, { headers: { Origin: origin } });
        assert.equal(viaFetch.status, ROUTES[path]?.status);
        assert.equal(viaFetch.status, viaNode.status);
        assert.deepEqual(corsPart(viaFetch.headers), corsPart(viaNode.headers));
        if (origin === APP) {
          assert.equal(viaFetch.headers.get('access-control-allow-origin'), APP);
          assert.equal(viaFetch.headers.get('access-control-allow-credentials'), 'true');
          assert.equal(viaFetch.headers.get('access-control-expose-headers'), 'X-Request-Id');
          assert.equal(viaFetch.headers.get('access-control-max-age'), null);
        } else {
          assert.equal(viaFetch.headers.get('access-control-allow-origin'), null);
          assert.equal(viaFetch.headers.get(REASON_HEADER), 'origin-not-allowed');
        }
        assert.match(viaFetch.headers.get('vary') ?? '', /Origin/);
        assert.equal(await viaFetch.text(), `status ${viaFetch.status}`);
        await viaNode.arrayBuffer();
      });
    }
  }

  test('a handler setting Access-Control-Allow-Origin itself: removed, and one warning naming the CORS plugins', () => {
    const warned = warnings.filter((w) => (w as Error & { code?: unknown }).code === 'CORS_SAFETY_DUPLICATE_CORS');
    assert.equal(warned.length, 1);
    assert.match(warned[0]?.message ?? '', /hono\/cors/);
  });

  test('Vary is appended to, never replaced', async () => {
    const { viaFetch } = await both('/ok', { headers: { Origin: APP } });
    assert.equal(viaFetch.headers.get('vary'), 'Accept-Encoding, Origin');
  });

  for (const [label, origin, headers, status] of [
    ['allowed', APP, 'content-type', 204],
    ['denied origin', EVIL, 'content-type', 403],
    ['refused header', APP, 'x-secret', 204],
  ] as const) {
    test(`preflight: ${label}`, async () => {
      const init = {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': headers },
      };
      const { viaFetch, viaNode } = await both('/ok', init);
      assert.equal(viaFetch.status, status);
      assert.equal(viaNode.status, status);
      assert.deepEqual(corsPart(viaFetch.headers), corsPart(viaNode.headers));
      assert.equal(viaFetch.headers.get('access-control-allow-origin'), origin === APP ? APP : null);
      assert.equal(await viaFetch.text(), '');
    });
  }

  test('a thrown error: a generic 500 with the grant for an allowed origin and no internals', async () => {
    for (const origin of [APP, EVIL]) {
      const response = await fetchHandler(new Request('http://localhost/throw', { headers: { Origin: origin } }));
      assert.equal(response.status, 500);
      const body = await response.text();
      assert.doesNotMatch(body, /hunter2|secret\.ts/);
      assert.deepEqual(JSON.parse(body), { error: { status: 500, message: 'Internal Server Error' } });
      assert.equal(response.headers.get('access-control-allow-origin'), origin === APP ? APP : null);
      assert.match(response.headers.get('vary') ?? '', /Origin/);
    }
    const head = await fetchHandler(
      new Request('http://localhost/throw', { method: 'HEAD', headers: { Origin: APP } }),
    );
    assert.equal(head.status, 500);
    assert.equal(await head.text(), '');
  });

  test('an immutable Response (Response.redirect) is copied and gets the headers', async () => {
    const response = await fetchHandler(new Request('http://localhost/redirect', { headers: { Origin: APP } }));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), 'http://localhost/ok');
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
  });

  test('Response.error() (status 0, nothing for a browser to read) is passed on as it is', async () => {
    const wrapped = withCorsSafety(policy, () => Response.error());
    const response = await wrapped(new Request('http://localhost/', { headers: { Origin: APP } }));
    assert.equal(response.type, 'error');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });

  test('preflightContinue: the handler answers a successful preflight, with the grant set on its answer', async () => {
    const wrapped = withCorsSafety({ origin: APP, preflightContinue: true }, (request: Request) =>
      request.method === 'OPTIONS'
        ? new Response(null, { status: 204, headers: { 'Access-Control-Allow-Origin': '*', 'X-Own': '1' } })
        : new Response('no'),
    );
    const preflight = (origin: string): Request =>
      new Request('http://localhost/', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
      });
    const allowed = await wrapped(preflight(APP));
    assert.equal(allowed.headers.get('x-own'), '1');
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
    const denied = await wrapped(preflight(EVIL));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('x-own'), null);
  });

  test("the request URL's own origin is same-origin: no refusal reason, no grant", async () => {
    const response = await fetchHandler(
      new Request('https://api.example.com/ok', { method: 'POST', headers: { Origin: 'https://api.example.com' } }),
    );
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get(REASON_HEADER), null);
  });

  test('a thrown Response is the answer; the handler gets the rest arguments', async () => {
    const wrapped = withCorsSafety(policy, (_request: Request, context: { id: string }) => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a thrown Response is a supported answer
      throw new Response(context.id, { status: 418 });
    });
    const response = await wrapped(new Request('http://localhost/', { headers: { Origin: APP } }), { id: 'ctx-1' });
    assert.equal(response.status, 418);
    assert.equal(await response.text(), 'ctx-1');
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
  });

  test('Next.js control-flow errors (digest NEXT_...) are rethrown to Next', async () => {
    const signal = Object.assign(new Error('NEXT_REDIRECT'), { digest: 'NEXT_REDIRECT;replace;/x;307;' });
    const wrapped = withCorsSafety(policy, () => {
      throw signal;
    });
    await assert.rejects(wrapped(new Request('http://localhost/', { headers: { Origin: APP } })), signal);
  });

  test('invalid options and a missing handler throw CorsConfigError at once', () => {
    assert.throws(() => withCorsSafety({ orign: APP } as never, () => new Response()), {
      name: 'CorsConfigError',
    });
    assert.throws(
      () => withCorsSafety(policy, undefined as never),
      (err: Error & { issues?: { code: string }[] }) => {
        assert.equal(err.issues?.[0]?.code, 'handler-not-function');
        return true;
      },
    );
  });
});

describe('withCorsSafety with a live policy', () => {
  test('each request is decided by the version in force when it starts', async () => {
    const live = createLivePolicy({ origin: APP, env: {} });
    const handler = withCorsSafety(live, () => new Response('ok'));
    const ask = (origin: string) =>
      handler(new Request('https://api.example.com/items', { headers: { Origin: origin } }));
    const SHOP = 'https://shop.customer.net';
    assert.equal((await ask(SHOP)).headers.get('access-control-allow-origin'), null);
    live.update({ add: [SHOP] });
    assert.equal((await ask(SHOP)).headers.get('access-control-allow-origin'), SHOP);
    live.update({ remove: [SHOP] });
    assert.equal((await ask(SHOP)).headers.get('access-control-allow-origin'), null);
    assert.equal((await ask(APP)).headers.get('access-control-allow-origin'), APP);
  });
});
