/**
 * No `Access-Control-*` header a handler sets reaches an origin the policy did not allow, by any
 * of the ways Node lets a handler put a header on the wire, in every policy mode (disabled
 * included), on Express 5, Express 4, Connect and node:http over real sockets. The first case
 * (`writeHead(200, undefined, headers)`) sent a denied origin a credentialed grant before.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import onHeaders from 'on-headers';
import { corsSafety, type CorsSafetyOptions } from '../../src/index.js';
import { FOREIGN_ORIGIN, stacks } from '../helpers/frameworks.js';

const ALLOWED = 'https://app.example.com';
const EVIL = FOREIGN_ORIGIN;

/** What a hostile or careless handler tries to send: a credentialed grant to whoever asks. */
const GRANT: Record<string, string> = {
  'Access-Control-Allow-Origin': EVIL,
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Expose-Headers': 'X-Secret',
  'access-control-allow-methods': 'DELETE',
};
const GRANT_FLAT = Object.entries(GRANT).flat();
const GRANT_PAIRS = Object.entries(GRANT);

type Writer = (res: ServerResponse) => void;

/** Every way a handler can put a header on the wire; each also sends `X-Test: 1`, which must arrive. */
const WRITERS: readonly [string, Writer][] = [
  ['writeHead(200, undefined, headers)', (res) => res.writeHead(200, undefined, { ...GRANT, 'X-Test': '1' }).end('x')],
  [
    'writeHead(200, null, headers)',
    (res) => (res.writeHead as (...a: unknown[]) => ServerResponse)(200, null, { ...GRANT, 'X-Test': '1' }).end('x'),
  ],
  ['writeHead(200, text, headers)', (res) => res.writeHead(200, 'Fine', { ...GRANT, 'X-Test': '1' }).end('x')],
  ['writeHead(200, headers)', (res) => res.writeHead(200, { ...GRANT, 'X-Test': '1' }).end('x')],
  // Node aliases ServerResponse.prototype.writeHeader to the original writeHead (issue #19).
  [
    'writeHeader(200, headers)',
    (res) =>
      (res as unknown as { writeHeader: ServerResponse['writeHead'] })
        .writeHeader(200, { ...GRANT, 'X-Test': '1' })
        .end('x'),
  ],
  [
    'writeHeader(200, text, flat array)',
    (res) =>
      (res as unknown as { writeHeader: ServerResponse['writeHead'] })
        .writeHeader(200, 'OK', [...GRANT_FLAT, 'X-Test', '1'])
        .end('x'),
  ],
  ['writeHead(200, flat array)', (res) => res.writeHead(200, [...GRANT_FLAT, 'X-Test', '1']).end('x')],
  [
    'writeHead(200, [name, value] pairs)',
    (res) => (res.writeHead as (...a: unknown[]) => ServerResponse)(200, [...GRANT_PAIRS, ['X-Test', '1']]).end('x'),
  ],
  [
    'writeHead(200, text, upper-case names)',
    (res) => res.writeHead(200, 'OK', { 'ACCESS-CONTROL-ALLOW-ORIGIN': EVIL, 'X-Test': '1' }).end('x'),
  ],
  [
    'setHeader() then writeHead(200, headers)',
    (res) => {
      res.setHeader('Access-Control-Allow-Origin', EVIL);
      res.writeHead(200, { 'Access-Control-Allow-Credentials': 'true', 'X-Test': '1' }).end('x');
    },
  ],
  [
    'setHeader() with arrays, then end()',
    (res) => {
      for (const [name, value] of GRANT_PAIRS) res.setHeader(name, [value, value]);
      res.setHeader('X-Test', '1');
      res.end('x');
    },
  ],
  [
    'appendHeader(), then write()',
    (res) => {
      for (const [name, value] of GRANT_PAIRS) res.appendHeader(name, value);
      res.appendHeader('X-Test', '1');
      res.write('x');
      res.end();
    },
  ],
  [
    'setHeaders(Map), then end()',
    (res) => {
      res.setHeaders(new Map([...GRANT_PAIRS, ['X-Test', '1']]));
      res.end('x');
    },
  ],
  [
    'setHeader(), then flushHeaders()',
    (res) => {
      for (const [name, value] of GRANT_PAIRS) res.setHeader(name, value);
      res.setHeader('X-Test', '1');
      res.flushHeaders();
      res.end('x');
    },
  ],
  [
    'writeEarlyHints() with Access-Control-* hints',
    (res) => {
      res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style', ...GRANT, 'x-test': '1' });
      res.setHeader('X-Test', '1');
      res.end('x');
    },
  ],
  [
    'addTrailers() with Access-Control-* trailers',
    (res) => {
      res.writeHead(200, { 'X-Test': '1', Trailer: 'Access-Control-Allow-Origin' });
      res.write('x');
      res.addTrailers({ ...GRANT, 'X-Trailer': '1' });
      res.addTrailers([...GRANT_PAIRS, ['X-Trailer', '1']]);
      res.end();
    },
  ],
];

/** The policy modes, and the `Access-Control-*` headers each grants a request from EVIL (or without Origin). */
const MODES: readonly { name: string; options: CorsSafetyOptions; grant: Record<string, string> }[] = [
  { name: 'allow-list with credentials', options: { origin: ALLOWED, credentials: true }, grant: {} },
  { name: 'public (*)', options: { origin: '*' }, grant: { 'access-control-allow-origin': '*' } },
  { name: 'reflect-any (true)', options: { origin: true }, grant: { 'access-control-allow-origin': EVIL } },
  { name: 'disabled (false)', options: { origin: false }, grant: {} },
];

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly trailers: Record<string, string | undefined>;
  readonly informational: IncomingHttpHeaders[];
}

function request(url: string, origin: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const informational: IncomingHttpHeaders[] = [];
    const req = http.get(`${url}/handler-headers`, { headers: origin === undefined ? {} : { origin } }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, informational }),
      );
      res.on('error', reject);
    });
    req.on('information', (info) => informational.push(info.headers));
    req.on('error', reject);
  });
}

function accessControl(headers: IncomingHttpHeaders | Record<string, string | undefined>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (name.toLowerCase().startsWith('access-control-')) found[name.toLowerCase()] = String(value);
  return found;
}

for (const stack of stacks) {
  describe(`${stack.name}: handler-set Access-Control-* headers`, () => {
    for (const mode of MODES) {
      for (const [form, write] of WRITERS) {
        it(`${mode.name}: ${form}`, async () => {
          const running = await stack.start({ ...mode.options, env: {} }, [
            { method: 'GET', path: '/handler-headers', handler: (_req, res) => write(res) },
          ]);
          try {
            for (const origin of [EVIL, undefined]) {
              const answer = await request(running.url, origin);
              assert.equal(answer.status, 200);
              assert.equal(answer.headers['x-test'], '1', 'the handler’s other headers still arrive');
              const expected = origin === undefined && mode.options.origin !== '*' ? {} : mode.grant;
              assert.deepEqual(accessControl(answer.headers), expected, `origin ${origin ?? '(none)'}`);
              assert.deepEqual(accessControl(answer.trailers), {}, 'no Access-Control-* trailer');
              for (const info of answer.informational) assert.deepEqual(accessControl(info), {}, '1xx head');
              if (form.startsWith('writeEarlyHints')) assert.equal(answer.informational.length, 1, 'the 103 was sent');
              if (form.startsWith('addTrailers')) assert.equal(answer.trailers['x-trailer'], '1');
            }
          } finally {
            await running.close();
          }
        });
      }
    }
  });
}

/**
 * A `writeHead` wrapper installed before corsSafety() runs (the on-headers pattern that
 * compression, sessions and response timers use) is called inside our writeHead, after the CORS
 * headers were applied: its Access-Control-* writes are ignored (review input: it granted EVIL).
 */
describe('a writeHead wrapper installed before corsSafety() (on-headers)', () => {
  const POLICY: CorsSafetyOptions = { origin: ALLOWED, credentials: true, env: {} };

  async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  for (const [name, install] of [
    [
      'on-headers listener',
      (req: http.IncomingMessage, res: ServerResponse) =>
        onHeaders(res, function addGrant(this: ServerResponse) {
          this.setHeader('Access-Control-Allow-Origin', String(req.headers.origin));
          this.appendHeader('Access-Control-Allow-Credentials', 'true');
          this.setHeaders(
            new Map([
              ['Access-Control-Expose-Headers', 'X-Secret'],
              ['X-Wrapped', '1'],
            ]),
          );
        }),
    ],
    [
      'hand-written wrapper',
      (req: http.IncomingMessage, res: ServerResponse) => {
        const previous = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
        res.writeHead = function wrapped(this: ServerResponse, ...args: unknown[]) {
          this.setHeader('Access-Control-Allow-Origin', String(req.headers.origin));
          this.setHeader('X-Wrapped', '1');
          return previous(...args);
        };
      },
    ],
  ] as const) {
    it(`${name}: a denied origin gets nothing, an allowed one the policy's grant`, async () => {
      const cors = corsSafety(POLICY);
      const running = await serve((req, res) => {
        install(req, res);
        cors(req, res, () => res.end('x'));
      });
      try {
        const denied = await request(running.url, EVIL);
        assert.equal(denied.headers['x-wrapped'], '1', 'the wrapper ran');
        assert.deepEqual(accessControl(denied.headers), {});
        const allowed = await request(running.url, ALLOWED);
        assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
        assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
        assert.equal(allowed.headers['access-control-expose-headers'], undefined);
      } finally {
        await running.close();
      }
    });
  }
});
