/**
 * corsSafety(), corsErrorHandler() and notFound() on node:http2's compatibility API: a secure
 * server with `allowHTTP1` and a cleartext (h2c) server, each driven by a real HTTP/2 client
 * (`http2.connect`). Before, an error with `status: 426, headers: { Upgrade: ... }` made the
 * error handler throw ERR_HTTP2_INVALID_CONNECTION_HEADERS out of the process.
 */
import assert from 'node:assert/strict';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound } from '../../src/index.js';
import { TLS_CERT, TLS_KEY } from '../helpers/upgrade-tls.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const policy = createCorsPolicy({ origin: ALLOWED, credentials: true, env: {} });
const cors = corsSafety(policy);
const missing = notFound();
const onError = corsErrorHandler(policy);

function httpError(status: number, headers: Record<string, string>): Error {
  return Object.assign(new Error('refused'), { status, expose: true, headers });
}

const routes: Record<string, Handler> = {
  '/ok': (_req, res) => {
    res.writeHead(200, undefined, { 'Access-Control-Allow-Origin': EVIL, 'X-Test': '1' });
    res.end('ok');
  },
  '/upgrade-required': (_req, _res, next) =>
    next(httpError(426, { Upgrade: 'TLS/1.3, HTTP/1.1', Connection: 'Upgrade', 'Retry-After': '5' })),
  '/gzip-error': (_req, _res, next) => next(httpError(400, { 'Content-Encoding': 'gzip', 'Keep-Alive': 'timeout=5' })),
  '/push-and-trailers': (_req, res) => {
    const h2res = res as unknown as Http2ServerResponse;
    h2res.createPushResponse({ ':path': '/pushed' }, (err, pushed) => {
      if (err) return;
      pushed.writeHead(200, { 'Access-Control-Allow-Origin': EVIL, 'X-Pushed': '1' });
      pushed.end('pushed');
    });
    // setTrailer() exists at run time but not in @types/node 20.
    const trailing = h2res as unknown as { setTrailer(name: string, value: string): void };
    trailing.setTrailer('Access-Control-Allow-Origin', EVIL);
    trailing.setTrailer('X-Trailer', '1');
    h2res.end('main');
  },
  '/half-written': (_req, res, next) => {
    // The failed handler had set connection-specific headers before giving up.
    res.setHeader('Upgrade', 'h2c');
    res.setHeader('Transfer-Encoding', 'chunked');
    next(httpError(503, {}));
  },
};

/** The node:http dispatch a user writes without a framework: cors, routes, notFound, error handler. */
function app(request: Http2ServerRequest, response: Http2ServerResponse): void {
  const req = request as unknown as IncomingMessage;
  const res = response as unknown as ServerResponse;
  const fail = (err: unknown): void =>
    onError(err, req, res, () => {
      res.statusCode = 500;
      res.end();
    });
  cors(req, res, (err) => {
    if (err !== undefined) return fail(err);
    const route = routes[(req.url ?? '').split('?')[0] ?? ''] ?? missing;
    route(req, res, (routeErr) => fail(routeErr));
  });
}

interface Answer {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: string;
}

function h2request(
  session: http2.ClientHttp2Session,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ...headers });
    let status = 0;
    let answer: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      answer = h;
      status = Number(h[':status']);
    });
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status, headers: answer, body }));
    stream.on('error', reject);
  });
}

const servers: [string, () => http2.Http2Server | http2.Http2SecureServer, string][] = [
  [
    'secure HTTP/2 server with allowHTTP1',
    () => http2.createSecureServer({ key: TLS_KEY, cert: TLS_CERT, allowHTTP1: true }, app),
    'https',
  ],
  ['cleartext HTTP/2 (h2c)', () => http2.createServer(app), 'http'],
];

for (const [name, create, scheme] of servers) {
  describe(`HTTP/2: ${name}`, () => {
    let server: http2.Http2Server | http2.Http2SecureServer;
    let session: http2.ClientHttp2Session;
    let url: string;
    const sockets = new Set<Socket>();
    before(async () => {
      server = create();
      server.on('connection', (socket: Socket) => sockets.add(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
      session = http2.connect(url, { rejectUnauthorized: false });
    });
    after(async () => {
      session.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    });

    it('grants an allowed origin and keeps a handler’s Access-Control-* from a denied one', async () => {
      const allowed = await h2request(session, '/ok', { origin: ALLOWED });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
      assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
      const denied = await h2request(session, '/ok', { origin: EVIL });
      assert.equal(denied.status, 200);
      assert.equal(denied.headers['x-test'], '1');
      assert.equal(denied.headers['access-control-allow-origin'], undefined);
      assert.equal(denied.headers['access-control-allow-credentials'], undefined);
    });

    it('keeps Access-Control-* out of trailers and pushed responses', async () => {
      const pushed = new Promise<http2.IncomingHttpHeaders>((resolve) =>
        session.once('stream', (stream) => {
          stream.on('push', (headers) => {
            stream.resume();
            resolve(headers);
          });
        }),
      );
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({ ':path': '/push-and-trailers', origin: EVIL });
        stream.on('trailers', (headers) => resolve(headers));
        stream.on('error', reject);
        stream.resume();
      });
      const [pushHeaders, trailerHeaders] = await Promise.all([pushed, trailers]);
      assert.equal(pushHeaders['x-pushed'], '1');
      assert.equal(pushHeaders['access-control-allow-origin'], undefined);
      assert.equal(trailerHeaders['x-trailer'], '1');
      assert.equal(trailerHeaders['access-control-allow-origin'], undefined);
    });

    it('answers a preflight', async () => {
      const res = await h2request(session, '/ok', {
        ':method': 'OPTIONS',
        origin: ALLOWED,
        'access-control-request-method': 'PUT',
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
      assert.match(String(res.headers['access-control-allow-methods']), /PUT/);
    });

    it('renders a 426 whose err.headers carry Upgrade and Connection without throwing', async () => {
      const res = await h2request(session, '/upgrade-required', { origin: ALLOWED });
      assert.equal(res.status, 426);
      assert.equal(res.headers.upgrade, undefined);
      assert.equal(res.headers['retry-after'], '5');
      assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 426, message: 'refused' } });
    });

    it('never copies Content-Encoding or Keep-Alive from err.headers', async () => {
      const res = await h2request(session, '/gzip-error', { origin: ALLOWED });
      assert.equal(res.status, 400);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 400, message: 'refused' } });
    });

    it('drops connection-specific headers the failed handler had set', async () => {
      const res = await h2request(session, '/half-written', { origin: EVIL });
      assert.equal(res.status, 503);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 503, message: 'Service Unavailable' } });
    });

    it('answers unmatched routes with notFound()’s JSON 404, readable by an allowed origin', async () => {
      const res = await h2request(session, '/nowhere', { origin: ALLOWED });
      assert.equal(res.status, 404);
      assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
      assert.deepEqual(JSON.parse(res.body), { error: { status: 404, message: 'Not Found' } });
    });

    if (scheme === 'https') {
      it('serves HTTP/1.1 clients on the same server (allowHTTP1)', async () => {
        const res = await new Promise<{ status: number; acao: unknown; upgrade: unknown }>((resolve, reject) => {
          https
            .get(
              `${url}/upgrade-required`,
              { rejectUnauthorized: false, agent: false, headers: { origin: ALLOWED } },
              (r) => {
                r.resume();
                r.on('end', () =>
                  resolve({
                    status: r.statusCode ?? 0,
                    acao: r.headers['access-control-allow-origin'],
                    upgrade: r.headers.upgrade,
                  }),
                );
              },
            )
            .on('error', reject);
        });
        assert.deepEqual(res, { status: 426, acao: ALLOWED, upgrade: undefined });
      });
    }
  });
}
