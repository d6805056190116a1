// The facts src/shared/ gives both the policy core and the CLI: loopback hosts, methods, header
// names and did-you-mean. Each is asserted here once, as data; the callers' own tests (policy
// validation, the doctor) show the behaviour built on them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closestName, editDistance } from '../../src/shared/did-you-mean.js';
import {
  isCorsNonWildcardRequestHeaderName,
  isForbiddenRequestHeaderName,
  isForbiddenResponseHeaderName,
} from '../../src/shared/header-names.js';
import { isLoopbackHost, LOOPBACK_HOSTS, reachesOnlyThisMachine } from '../../src/shared/loopback.js';
import { CORS_SAFELISTED_METHODS, isForbiddenMethod, NODE_METHODS } from '../../src/shared/methods.js';

describe('loopback hosts', () => {
  test('LOOPBACK_HOSTS', () => {
    assert.deepEqual([...LOOPBACK_HOSTS].sort(), ['127.0.0.1', '[::1]', 'localhost']);
  });

  test('isLoopbackHost is exact', () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of [
      'localhost.',
      'a.localhost',
      '127.0.0.2',
      '127.1',
      '[0:0::1]',
      'LOCALHOST',
      '::1',
      'localhost.evil.com',
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  test('reachesOnlyThisMachine: localhost and *.localhost, 127.0.0.0/8, [::1], in any case', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.255',
      '[::1]',
    ])
      assert.equal(reachesOnlyThisMachine(host), true, host);
    for (const host of [
      'localhost.evil.com',
      'evillocalhost',
      '128.0.0.1',
      '127.0.0.1.evil.com',
      '127.0.0.1000',
      '10.0.0.1',
      '[::2]',
      'example.com',
      '',
    ])
      assert.equal(reachesOnlyThisMachine(host), false, host);
  });
});

describe('methods (Fetch §2.2.1)', () => {
  test('forbidden methods in any case; every other Node method is not', () => {
    for (const method of ['CONNECT', 'connect', 'TRACE', 'Trace', 'TRACK'])
      assert.equal(isForbiddenMethod(method), true, method);
    const forbidden = [...NODE_METHODS].filter((method) => isForbiddenMethod(method)).sort();
    assert.deepEqual(forbidden, ['CONNECT', 'TRACE']); // TRACK is not even a method Node parses
  });

  test('CORS-safelisted methods', () => {
    assert.deepEqual([...CORS_SAFELISTED_METHODS].sort(), ['GET', 'HEAD', 'POST']);
  });
});

describe('header names (Fetch §2.2.2, §2.2.6)', () => {
  test('forbidden request-header: fixed names and the Proxy- and Sec- prefixes, any case', () => {
    for (const name of ['Cookie', 'HOST', 'origin', 'Proxy-Authorization', 'Sec-Fetch-Mode', 'sec-', 'Via'])
      assert.equal(isForbiddenRequestHeaderName(name), true, name);
    for (const name of ['Authorization', 'X-Proxy', 'X-Sec', 'Content-Type', 'Cookies', 'proxy'])
      assert.equal(isForbiddenRequestHeaderName(name), false, name);
  });

  test('forbidden response-header names', () => {
    for (const name of ['Set-Cookie', 'set-cookie2']) assert.equal(isForbiddenResponseHeaderName(name), true, name);
    assert.equal(isForbiddenResponseHeaderName('Cookie'), false);
  });

  test('CORS non-wildcard request-header name: Authorization only', () => {
    assert.equal(isCorsNonWildcardRequestHeaderName('AUTHORIZATION'), true);
    assert.equal(isCorsNonWildcardRequestHeaderName('proxy-authorization'), false);
  });
});

describe('did-you-mean', () => {
  test('editDistance is Levenshtein, case-insensitive', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ORIGIN', 'orign'), 1);
  });

  test('closestName: first of the closest, within the tolerance', () => {
    assert.equal(closestName('methds', ['methods', 'maxAge']), 'methods');
    assert.equal(closestName('ab', ['ax', 'ab2']), 'ax'); // tie at 1: the first listed wins
    // Default tolerance: a quarter of the letters, at least two.
    assert.equal(closestName('xyz', ['abc']), undefined);
    assert.equal(closestName('orxxin', ['origin']), 'origin');
    // A caller's own tolerance (the CLI allows a third of the letters, at least one).
    assert.equal(closestName('orxxin', ['origin'], 1), undefined);
    assert.equal(closestName('--orign', ['--origin'], 2), '--origin');
  });
});
