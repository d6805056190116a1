/**
 * What corsErrorHandler() keeps from an error: never headers that describe another body or
 * another connection (a copied `Content-Encoding: gzip` made fetch fail with Z_DATA_ERROR), and
 * never a message that quotes the request (body-parser's JSON message quoted the body).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsErrorHandler, corsSafety, createCorsPolicy } from '../../src/index.js';
import { REPLACED_HEADERS } from '../../src/express/error-response.js';
import { FLAVORS, get, withServer } from '../helpers/error-handler-servers.js';
import { scaled } from '../helpers/time.js';

const ALLOWED = 'https://app.example.com';
const T = { timeout: scaled(15_000) };
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });

/** Headers that must never be copied, each with a value that would break or mislead the client. */
const FORBIDDEN: Record<string, string> = {
  'Content-Encoding': 'gzip',
  'Content-Range': 'bytes 0-9/100',
  'Content-Language': 'fr',
  'Content-Location': '/other',
  'Content-Disposition': 'attachment; filename="x.bin"',
  'Content-Digest': 'sha-256=:AAAA:',
  ETag: '"abc"',
  'Last-Modified': 'Tue, 01 Jan 2030 00:00:00 GMT',
  Connection: 'close, X-Secret',
  'Keep-Alive': 'timeout=1',
  'Proxy-Connection': 'keep-alive',
  TE: 'trailers',
  Trailer: 'X-Checksum',
  'Transfer-Encoding': 'gzip, chunked',
  Upgrade: 'TLS/1.3, HTTP/1.1',
  'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA',
};

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: corsErrorHandler() and what an error carries`, () => {
    it('never copies representation, framing or hop-by-hop headers from err.headers', T, async () => {
      const app = flavor.create();
      app.use(corsSafety(policy));
      app.get('/fail', (_req, _res, next) =>
        next(
          Object.assign(new Error('Teapot'), {
            status: 418,
            expose: true,
            headers: { ...FORBIDDEN, 'Retry-After': '7' },
          }),
        ),
      );
      app.use(corsErrorHandler(policy));
      await withServer(app, async (url) => {
        const res = await get(`${url}/fail`, { headers: { origin: ALLOWED } });
        assert.equal(res.status, 418);
        // fetch decodes the body: with a copied Content-Encoding it would fail here.
        assert.deepEqual(await res.json(), { error: { status: 418, message: 'Teapot' } });
        assert.equal(res.headers.get('retry-after'), '7');
        for (const name of Object.keys(FORBIDDEN)) {
          const lower = name.toLowerCase();
          if (lower === 'connection' || lower === 'keep-alive') {
            // Node writes its own Connection / Keep-Alive; the error's values never appear.
            assert.doesNotMatch(res.headers.get(lower) ?? '', /X-Secret|timeout=1/i, name);
          } else assert.equal(res.headers.get(lower), null, name);
        }
      });
    });

    it('every header the table names is in the filtered set', () => {
      for (const name of Object.keys(FORBIDDEN)) assert.ok(REPLACED_HEADERS.has(name.toLowerCase()), name);
    });

    const quoting: [string, Record<string, string>, string][] = [
      ['invalid JSON (entity.parse.failed)', { 'content-type': 'application/json' }, '{"password": hunter2'],
      ['an unknown charset (charset.unsupported)', { 'content-type': 'application/json; charset=hunter2' }, '{}'],
      [
        'an unknown encoding (encoding.unsupported)',
        { 'content-type': 'application/json', 'content-encoding': 'hunter2' },
        '{}',
      ],
    ];
    for (const [name, headers, body] of quoting) {
      it(`answers ${name} with the standard message, quoting nothing from the request`, T, async () => {
        const app = flavor.create();
        app.use(corsSafety(policy));
        app.use(flavor.json());
        app.post('/items', (_req, res) => res.end('ok'));
        app.use(corsErrorHandler(policy));
        await withServer(app, async (url) => {
          const res = await get(`${url}/items`, { method: 'POST', headers: { origin: ALLOWED, ...headers }, body });
          const text = await res.text();
          assert.ok(res.status === 400 || res.status === 415, String(res.status));
          assert.doesNotMatch(text, /hunter2|password/);
          const parsed = JSON.parse(text) as { error: { status: number; message: string } };
          assert.equal(parsed.error.message, res.status === 400 ? 'Bad Request' : 'Unsupported Media Type');
        });
      });
    }

    it('still shows body-parser’s fixed messages (entity.too.large)', T, async () => {
      const app = flavor.create();
      app.use(corsSafety(policy));
      app.use(flavor.json({ limit: 10 }));
      app.post('/items', (_req, res) => res.end('ok'));
      app.use(corsErrorHandler(policy));
      await withServer(app, async (url) => {
        const res = await get(`${url}/items`, {
          method: 'POST',
          headers: { origin: ALLOWED, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x'.repeat(100) }),
        });
        assert.equal(res.status, 413);
        assert.deepEqual(await res.json(), { error: { status: 413, message: 'request entity too large' } });
      });
    });
  });
}
