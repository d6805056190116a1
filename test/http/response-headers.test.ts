/**
 * The header helpers under the middleware, on real `ServerResponse` objects without a socket:
 * Vary merging, the writeHead() guard (wrapped once, latest decision wins, Node's own errors
 * unchanged) and the mount-order lookup on apps that are not Express.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { findMiddlewareMountedBefore } from '../../src/express/mount-order.js';
import { compiledPolicy, createCorsPolicy } from '../../src/policy/policy.js';
import type { OriginVerdict } from '../../src/policy/reasons.js';
import { applyCorsHeaders } from '../../src/http/response-headers.js';
import { REASON_HEADER } from '../../src/headers/actual-headers.js';
import { protectCorsHeaders, responseCorsState } from '../../src/http/response-guard.js';
import { mergeVary } from '../../src/headers/vary.js';
import { appendVary } from '../../src/http/response-vary.js';

const ORIGIN = 'https://app.example.com';
const policy = compiledPolicy(createCorsPolicy({ origin: ORIGIN, credentials: true, env: {} }));
const allowed: OriginVerdict = { allowed: true, reason: 'allowed-exact', origin: ORIGIN, rule: ORIGIN };
const denied: OriginVerdict = { allowed: false, reason: 'origin-not-allowed', origin: 'https://other.example' };

function response(): http.ServerResponse {
  return new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
}

/** The head Node would send, as lowercase name -> value lines. */
function head(res: http.ServerResponse): string {
  return (res as http.ServerResponse & { _header: string })._header;
}

describe('mergeVary', () => {
  const cases: [unknown, string[], string][] = [
    [undefined, ['Origin'], 'Origin'],
    ['Accept-Encoding', ['Origin'], 'Accept-Encoding, Origin'],
    ['accept-encoding, origin', ['Origin'], 'accept-encoding, origin'],
    [['Accept', 'Accept-Encoding'], ['Origin'], 'Accept, Accept-Encoding, Origin'],
    ['Accept', ['Origin, Accept-Language', ' accept '], 'Accept, Origin, Accept-Language'],
    [' , ,', ['Origin'], 'Origin'],
    ['*', ['Origin'], '*'],
    ['Accept, *', ['Origin'], '*'],
    ['Accept', ['*'], '*'],
    ['Accept', ['Origin, *'], '*'],
    [42, ['Origin'], 'Origin'],
    ['', [], ''],
  ];
  for (const [current, fields, expected] of cases) {
    it(`${JSON.stringify(current)} + ${JSON.stringify(fields)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(mergeVary(current, fields), expected);
    });
  }

  it('appendVary sets nothing when there is nothing to vary on', () => {
    const res = response();
    appendVary(res, []);
    assert.equal(res.hasHeader('vary'), false);
    appendVary(res, ['Origin']);
    appendVary(res, ['origin']);
    assert.equal(res.getHeader('vary'), 'Origin');
  });
});

describe('protectCorsHeaders / applyCorsHeaders', () => {
  it('wraps writeHead once and applies the latest decision when the head is written', () => {
    const res = response();
    protectCorsHeaders(res, policy, denied);
    const wrapped: unknown = Reflect.get(res, 'writeHead');
    assert.equal(responseCorsState(res)?.verdict, denied);
    assert.equal(res.getHeader(REASON_HEADER), 'origin-not-allowed');
    // corsErrorHandler() may decide again later with the same policy; the newer decision wins.
    protectCorsHeaders(res, policy, allowed);
    assert.equal(Reflect.get(res, 'writeHead'), wrapped, 'not wrapped twice');
    assert.equal(responseCorsState(res)?.verdict, allowed);
    res.removeHeader('Access-Control-Allow-Origin');
    res.writeHead(500);
    assert.match(head(res), /Access-Control-Allow-Origin: https:\/\/app\.example\.com\r\n/);
    assert.doesNotMatch(head(res), /Cors-Safety-Reason/);
  });

  it('a response never guarded has no state', () => {
    assert.equal(responseCorsState(response()), undefined);
  });

  it('does nothing once the head is sent, and Node still refuses a second writeHead', () => {
    const res = response();
    protectCorsHeaders(res, policy, allowed);
    res.writeHead(200, { 'X-A': '1' });
    const sent = head(res);
    applyCorsHeaders(res, policy, denied);
    assert.equal(res.getHeader('access-control-allow-origin'), ORIGIN, 'unchanged after the head');
    assert.throws(() => res.writeHead(500, { Vary: 'Accept' }), { code: 'ERR_HTTP_HEADERS_SENT' });
    assert.equal(head(res), sent);
  });

  it("leaves Node's own validation of writeHead arguments unchanged", () => {
    for (const args of [
      [200, ['X-Odd']],
      [200, { Vary: undefined }],
      [200, { 'X-Bad': 'a\nb' }],
    ] as const) {
      const plain = response();
      plain.setHeader('X-Before', '1');
      let expected: unknown;
      try {
        (plain.writeHead as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        expected = (err as { code?: unknown }).code;
      }
      assert.ok(expected !== undefined, `Node refuses ${JSON.stringify(args)}`);
      const guarded = response();
      protectCorsHeaders(guarded, policy, allowed);
      assert.throws(
        () => (guarded.writeHead as (...a: unknown[]) => unknown)(...args),
        { code: expected },
        JSON.stringify(args),
      );
    }
  });

  it('merges a Vary list from the header object and keeps the other entries', () => {
    const res = response();
    protectCorsHeaders(res, policy, allowed);
    res.writeHead(200, 'Fine', { Vary: ['Accept', 'Accept-Language'], 'X-Kept': 'yes', 'ACCESS-CONTROL-MAX-AGE': '1' });
    assert.match(head(res), /^HTTP\/1\.1 200 Fine\r\n/);
    assert.match(head(res), /Vary: Origin, Accept, Accept-Language\r\n/);
    assert.match(head(res), /X-Kept: yes\r\n/);
    assert.doesNotMatch(head(res), /max-age/i);
  });

  it('writeHead(status, message) without headers still gets the grant', () => {
    const res = response();
    protectCorsHeaders(res, policy, allowed);
    res.removeHeader('Access-Control-Allow-Credentials');
    res.writeHead(404, 'Gone Fishing');
    assert.match(head(res), /Access-Control-Allow-Credentials: true\r\n/);
  });
});

describe('findMiddlewareMountedBefore outside Express', () => {
  const middleware = (): void => undefined;
  const request = (app: unknown): http.IncomingMessage =>
    Object.assign(new http.IncomingMessage(new net.Socket()), { app });

  it('finds nothing without req.app, with a non-function app, or an app without a router stack', () => {
    assert.deepEqual(findMiddlewareMountedBefore(request(undefined), middleware), []);
    assert.deepEqual(
      findMiddlewareMountedBefore(
        request({ router: { stack: [{ name: 'auth', handle: () => undefined }] } }),
        middleware,
      ),
      [],
    );
    assert.deepEqual(
      findMiddlewareMountedBefore(
        request(function app() {}),
        middleware,
      ),
      [],
    );
    const noStack = Object.assign(function app() {}, { router: {} });
    assert.deepEqual(findMiddlewareMountedBefore(request(noStack), middleware), []);
  });
});
