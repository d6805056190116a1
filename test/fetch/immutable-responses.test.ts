/**
 * withCorsSafety() on responses whose headers cannot be written in place: `Response.redirect()`,
 * a `fetch()` result (from a real node:http server on a loopback port) and `Response.error()` have
 * immutable headers (Fetch §5.2 guard "immutable"), so the decision goes on a copy with the same
 * status and body; a response whose body was already read cannot be sent, so the safe 500 goes
 * instead. A handler's own response keeps its identity: nothing is copied when its headers can be
 * written.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { withCorsSafety } from '../../src/fetch/index.js';
import { listen, type Running } from '../helpers/listen.js';
import { collectWarnings } from '../helpers/warnings.js';

collectWarnings();

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const options = { origin: APP, credentials: true, exposedHeaders: ['X-Request-Id'], exposeReason: true };

let upstream: Running;
before(async () => {
  upstream = await listen(
    http.createServer((req, res) => {
      // An upstream that grants every origin itself: the copy must not pass that on to a denied one.
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Max-Age': '600',
        Vary: 'Accept-Encoding',
        'X-Request-Id': 'up-1',
      });
      res.end(`upstream ${req.url ?? ''}`);
    }),
  );
});
after(() => upstream.close());

function get(origin: string, path = '/'): Request {
  return new Request(`https://api.example.com${path}`, { headers: { Origin: origin } });
}

/** True when the headers are immutable: the first write throws a TypeError. */
function immutable(headers: Headers): boolean {
  try {
    headers.set('X-Probe', '1');
    headers.delete('X-Probe');
    return false;
  } catch (err) {
    return err instanceof TypeError;
  }
}

describe('responses with immutable headers are copied, with the decision on the copy', () => {
  test('Response.redirect(): status and Location kept, the grant added for an allowed origin only', async () => {
    const original = Response.redirect('https://api.example.com/next', 307);
    assert.equal(immutable(original.headers), true, 'the premise: Response.redirect() headers are immutable');
    const handler = withCorsSafety(options, () => Response.redirect('https://api.example.com/next', 307));
    for (const origin of [APP, EVIL]) {
      const response = await handler(get(origin));
      assert.equal(response.status, 307);
      assert.equal(response.headers.get('location'), 'https://api.example.com/next');
      assert.equal(response.headers.get('access-control-allow-origin'), origin === APP ? APP : null);
      assert.equal(response.headers.get('access-control-allow-credentials'), origin === APP ? 'true' : null);
      assert.equal(response.headers.get('cors-safety-reason'), origin === APP ? null : 'origin-not-allowed');
      assert.equal(response.headers.get('vary'), 'Origin');
    }
  });

  test("a fetch() response: body, status and the upstream's headers kept, its Access-Control-* replaced", async () => {
    let seen: Response | undefined;
    const handler = withCorsSafety(options, async (request: Request) => {
      seen = await fetch(`${upstream.url}${new URL(request.url).pathname}`);
      return seen;
    });
    for (const origin of [APP, EVIL]) {
      const response = await handler(get(origin, '/items'));
      assert.ok(seen !== undefined && immutable(seen.headers), 'the premise: fetch() response headers are immutable');
      assert.notEqual(response, seen);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'upstream /items');
      assert.equal(response.headers.get('x-request-id'), 'up-1');
      assert.equal(response.headers.get('access-control-max-age'), null);
      assert.equal(response.headers.get('vary'), 'Accept-Encoding, Origin');
      if (origin === APP) {
        assert.equal(response.headers.get('access-control-allow-origin'), APP);
        assert.equal(response.headers.get('access-control-expose-headers'), 'X-Request-Id');
      } else {
        assert.equal(response.headers.get('access-control-allow-origin'), null);
        assert.equal(response.headers.get('access-control-expose-headers'), null);
      }
    }
  });

  test('Response.error() (status 0, no copy possible, nothing readable) is passed on as it is', async () => {
    const handler = withCorsSafety(options, () => Response.error());
    for (const origin of [APP, EVIL]) {
      const response = await handler(get(origin));
      assert.equal(response.type, 'error');
      assert.equal(response.status, 0);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    }
  });

  test("a handler's own Response is written in place, not copied", async () => {
    let made: Response | undefined;
    const handler = withCorsSafety(options, () => (made = new Response('own', { status: 201 })));
    const response = await handler(get(APP));
    assert.equal(response, made);
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    assert.equal(await response.text(), 'own');
  });
});

describe('a response whose body was already read', () => {
  for (const [label, make] of [
    ['built by the handler (mutable headers)', () => Promise.resolve(new Response('read'))],
    ['from fetch() (immutable headers)', async () => fetch(`${upstream.url}/used`)],
  ] as const) {
    test(`${label}: the safe 500, with the decision`, async () => {
      const handler = withCorsSafety(options, async () => {
        const response = await make();
        await response.text();
        return response;
      });
      for (const origin of [APP, EVIL]) {
        const response = await handler(get(origin));
        assert.equal(response.status, 500);
        assert.deepEqual(await response.json(), { error: { status: 500, message: 'Internal Server Error' } });
        assert.equal(response.headers.get('access-control-allow-origin'), origin === APP ? APP : null);
        assert.equal(response.headers.get('vary'), 'Origin');
      }
    });
  }
});
