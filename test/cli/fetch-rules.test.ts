import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsUnsafeRequestHeaderNames, isMixedContent, preflightDecision } from '../../src/cli/fetch-rules.js';
import {
  isCorsSafelistedRequestHeader,
  isForbiddenRequestHeaderName,
  mimeEssence,
} from '../../src/shared/header-names.js';
import { isCorsSafelistedMethod, normalizeMethod } from '../../src/shared/methods.js';

describe('normalizeMethod (Fetch §2.2.1)', () => {
  const cases: [string, string][] = [
    ['get', 'GET'],
    ['put', 'PUT'],
    ['Delete', 'DELETE'],
    ['options', 'OPTIONS'],
    ['patch', 'patch'], // not normalised: the classic fetch() gotcha
    ['PATCH', 'PATCH'],
    ['propfind', 'propfind'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => assert.equal(normalizeMethod(input), expected));
  }
});

describe('isCorsSafelistedMethod', () => {
  it('accepts exactly GET, HEAD, POST', () => {
    for (const m of ['GET', 'HEAD', 'POST']) assert.equal(isCorsSafelistedMethod(m), true, m);
    for (const m of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get', 'post'])
      assert.equal(isCorsSafelistedMethod(m), false, m);
  });
});

describe('isCorsSafelistedRequestHeader (Fetch §2.2.2)', () => {
  const cases: [name: string, value: string, safelisted: boolean][] = [
    ['Accept', 'application/json', true],
    ['accept', 'text/html, */*;q=0.8', true],
    ['Accept', 'a"b', false], // 0x22 is a CORS-unsafe request-header byte
    ['Accept', 'x'.repeat(128), true],
    ['Accept', 'x'.repeat(129), false], // longer than 128 bytes
    ['Accept-Language', 'en-US,en;q=0.9', true],
    ['Content-Language', 'de', true],
    ['Accept-Language', 'en_US', false], // "_" is outside the allowed bytes
    ['Content-Type', 'text/plain', true],
    ['Content-Type', 'text/plain;charset=UTF-8', true],
    ['content-type', 'TEXT/PLAIN', true],
    ['Content-Type', 'application/x-www-form-urlencoded', true],
    ['Content-Type', 'multipart/form-data; boundary=abc', true],
    ['Content-Type', 'application/json', false],
    ['Content-Type', 'text/plain; charset="utf-8"', false], // quotes are unsafe bytes
    ['Content-Type', 'text', false], // not a MIME type
    ['Content-Type', 'text/html', false],
    ['Range', 'bytes=0-499', true],
    ['Range', 'bytes=100-', true],
    ['Range', 'bytes=-500', false], // no start: not a simple range
    ['Range', 'bytes=5-1', false],
    ['Range', 'bytes=0-1,5-6', false],
    ['Authorization', 'Bearer x', false],
    ['X-Requested-With', 'XMLHttpRequest', false],
  ];
  for (const [name, value, expected] of cases) {
    it(`${name}: ${value.length > 40 ? `${value.slice(0, 10)}...(${value.length})` : value} -> ${expected}`, () => {
      assert.equal(isCorsSafelistedRequestHeader(name, value), expected);
    });
  }
});

describe('mimeEssence', () => {
  it('parses type/subtype case-insensitively and ignores parameters', () => {
    assert.equal(mimeEssence(' Text/Plain ; charset=utf-8'), 'text/plain');
    assert.equal(mimeEssence('application/json'), 'application/json');
    assert.equal(mimeEssence('/json'), null);
    assert.equal(mimeEssence('text/'), null);
    assert.equal(mimeEssence('te xt/plain'), null);
  });
});

describe('corsUnsafeRequestHeaderNames', () => {
  it('lists unsafe names lower-cased, sorted, once', () => {
    assert.deepEqual(
      corsUnsafeRequestHeaderNames([
        ['X-Trace', '1'],
        ['Authorization', 'a'],
        ['Accept', '*/*'],
        ['x-trace', '2'],
        ['Content-Type', 'application/json'],
      ]),
      ['authorization', 'content-type', 'x-trace'],
    );
  });
  it('makes safelisted headers unsafe when their values exceed 1024 bytes in total', () => {
    const headers: [string, string][] = Array.from({ length: 9 }, () => ['Accept', 'a'.repeat(120)]);
    assert.deepEqual(corsUnsafeRequestHeaderNames(headers), ['accept']);
    assert.deepEqual(corsUnsafeRequestHeaderNames(headers.slice(0, 8)), []);
  });
});

describe('preflightDecision', () => {
  it('needs no preflight for a simple request', () => {
    const d = preflightDecision('POST', [['Content-Type', 'text/plain']]);
    assert.equal(d.needed, false);
    assert.deepEqual(d.reasons, []);
  });
  it('needs one for a non-safelisted method and names it', () => {
    const d = preflightDecision('PUT', []);
    assert.equal(d.needed, true);
    assert.match(d.reasons[0] ?? '', /PUT is not CORS-safelisted/);
  });
  it('needs one for application/json and for Authorization', () => {
    const d = preflightDecision('POST', [
      ['Content-Type', 'application/json'],
      ['Authorization', 'x'],
    ]);
    assert.equal(d.needed, true);
    assert.deepEqual(d.unsafeHeaderNames, ['authorization', 'content-type']);
    assert.equal(d.reasons.length, 2);
  });
});

describe('forbidden request headers and mixed content', () => {
  it('recognises forbidden names', () => {
    for (const n of ['Origin', 'Cookie', 'Host', 'Sec-Fetch-Mode', 'Proxy-Authorization', 'Content-Length']) {
      assert.equal(isForbiddenRequestHeaderName(n), true, n);
    }
    assert.equal(isForbiddenRequestHeaderName('Authorization'), false);
  });
  it('flags http from an https page, except loopback', () => {
    assert.equal(isMixedContent('https://app.example.com', new URL('http://api.example.com/')), true);
    assert.equal(isMixedContent('https://app.example.com', new URL('ws://api.example.com/')), true);
    assert.equal(isMixedContent('https://app.example.com', new URL('http://localhost:3000/')), false);
    assert.equal(isMixedContent('https://app.example.com', new URL('http://127.0.0.1:3000/')), false);
    assert.equal(isMixedContent('https://app.example.com', new URL('https://api.example.com/')), false);
    assert.equal(isMixedContent('http://app.example.com', new URL('http://api.example.com/')), false);
  });
});
