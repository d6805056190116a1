/**
 * What `Access-Control-Allow-Headers: *` really lets through, measured in Chromium, Firefox and
 * WebKit (issue #24; docs/options.md and docs/troubleshooting.md quote the result).
 *
 * The Fetch standard (CORS-preflight fetch, step 7.8) says the wildcard never covers
 * `Authorization`. The engines measured here do not enforce that: a non-credentialed request with
 * `Authorization` passes a preflight answered with a bare `*`. With credentials, `*` is the literal
 * header name `*` in every engine, so nothing is covered. cors-safety never sends `*`: with
 * `allowedHeaders: '*'` it lists the requested names back, so `Authorization` is covered in both
 * modes, as the standard intends.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before } from 'node:test';
import { corsSafety, createCorsPolicy } from '../../src/index.js';
import { describeEngines, type EngineName } from '../helpers/engines.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { NETWORK_ERROR, pageFetch, type FetchOutcome } from './page-calls.js';

const SUITE = 'test/browser/allow-headers-star.test.ts';

/** What the page sees: the API echoes the Authorization it received. */
type Seen = 'read' | 'network error';

interface StarCase {
  readonly name: string;
  readonly server: 'bare-star' | 'cors-safety';
  readonly credentials: 'omit' | 'include';
  readonly expected: Readonly<Record<EngineName, Seen>>;
}

const EVERY_ENGINE = (seen: Seen): Readonly<Record<EngineName, Seen>> => ({
  Chromium: seen,
  Firefox: seen,
  WebKit: seen,
});

const CASES: readonly StarCase[] = [
  {
    name: 'a bare `Access-Control-Allow-Headers: *` still lets Authorization through without credentials (against the Fetch standard)',
    server: 'bare-star',
    credentials: 'omit',
    expected: EVERY_ENGINE('read'),
  },
  {
    name: 'with credentials, a bare `*` covers nothing: the request with Authorization is refused',
    server: 'bare-star',
    credentials: 'include',
    expected: EVERY_ENGINE('network error'),
  },
  {
    name: "cors-safety's allowedHeaders: '*' lists the requested names back: Authorization passes with credentials",
    server: 'cors-safety',
    credentials: 'include',
    expected: EVERY_ENGINE('read'),
  },
  {
    name: "cors-safety's allowedHeaders: '*' without credentials: Authorization passes",
    server: 'cors-safety',
    credentials: 'omit',
    expected: EVERY_ENGINE('read'),
  },
];

let page: Running;
let bareStar: Running;
let library: Running;
let pageOrigin: string;
/** The Authorization header each actual (non-OPTIONS) request carried. */
const received: (string | undefined)[] = [];

before(async () => {
  page = await listen(
    http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>allow-headers test page</title><p>page</p>');
    }),
  );
  pageOrigin = `http://localhost:${page.port}`;
  // A hand-written server that answers every preflight with the bare wildcard.
  bareStar = await listen(
    http.createServer((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', pageOrigin);
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', '*');
        res.setHeader('Access-Control-Allow-Credentials', 'true');
        res.setHeader('Access-Control-Max-Age', '0');
        res.writeHead(204).end();
        return;
      }
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      received.push(req.headers.authorization);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
    }),
  );
  const policy = createCorsPolicy({ origin: pageOrigin, credentials: true, allowedHeaders: '*', maxAge: 0 });
  const middleware = corsSafety(policy);
  library = await listen(
    http.createServer((req, res) =>
      middleware(req, res, () => {
        received.push(req.headers.authorization);
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
      }),
    ),
  );
});

after(async () => {
  await Promise.all([page?.close(), bareStar?.close(), library?.close()]);
});

function summarise(outcome: FetchOutcome): unknown {
  return outcome.kind === 'response' ? { status: outcome.status, body: outcome.body } : outcome;
}

describeEngines(SUITE, 'Access-Control-Allow-Headers: * and Authorization', { timeout: scaled(120_000) }, (run) => {
  for (const testCase of CASES)
    run.it(testCase.name, () =>
      run.withTab(`${pageOrigin}/`, async (tab) => {
        const api = testCase.server === 'bare-star' ? bareStar : library;
        const before = received.length;
        const outcome = await pageFetch(tab, {
          url: `${api.url}/me`,
          method: 'POST',
          body: '{}',
          credentials: testCase.credentials,
          headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
        });
        if (testCase.expected[run.engine] === 'read') {
          assert.deepEqual(summarise(outcome), { status: 200, body: { authorization: 'Bearer t' } });
          assert.deepEqual(received.slice(before), ['Bearer t']);
        } else {
          assert.deepEqual(outcome, { kind: 'error', error: NETWORK_ERROR[run.engine] });
          assert.deepEqual(received.slice(before), [], 'the request itself must not be sent');
        }
      }),
    );
});
