// HTTP token helpers used by the policy (method and header lists) and by preflights.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_HEADER_LIST_ITEMS,
  MAX_HEADER_LIST_LENGTH,
  isToken,
  parseHeaderNameList,
  splitConfigList,
} from '../../src/shared/http-tokens.js';

describe('isToken (RFC 9110 §5.6.2)', () => {
  test('tokens', () => {
    for (const text of ['GET', 'x-request-id', "!#$%&'*+-.^_`|~", 'A1', 'a']) assert.equal(isToken(text), true, text);
  });
  test('not tokens', () => {
    for (const text of [
      '',
      ' ',
      'a b',
      'a,b',
      'a:b',
      '(a)',
      'a/b',
      'a"b',
      'ü',
      'a\tb',
      'a\r\n',
      '\x7f',
      '{}',
      '[]',
      '@',
      '=',
      '?',
      ';',
      '\\',
    ]) {
      assert.equal(isToken(text), false, JSON.stringify(text));
    }
  });
});

describe('parseHeaderNameList', () => {
  const ok: [string, string[]][] = [
    ['', []],
    ['X-A', ['x-a']],
    ['x-a,x-b', ['x-a', 'x-b']],
    [' X-A , Content-Type\t', ['x-a', 'content-type']],
    ['x-a,,x-b,', ['x-a', 'x-b']],
    [' , ,', []],
    ['\tx-a\t,\tx-b', ['x-a', 'x-b']],
  ];
  for (const [value, expected] of ok) {
    test(`${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseHeaderNameList(value), expected);
    });
  }

  const bad = ['x-a x-b', 'x-a,x b', 'x-ü', 'x-a;', 'x-a,(b)', 'x-a\r\nx-b', 'x-a\0', 'x-a\u00a0'];
  for (const value of bad) {
    test(`${JSON.stringify(value)} is refused`, () => {
      assert.equal(parseHeaderNameList(value), undefined);
    });
  }

  test('length and item caps', () => {
    assert.equal(MAX_HEADER_LIST_LENGTH, 4096);
    assert.equal(MAX_HEADER_LIST_ITEMS, 64);
    assert.equal(parseHeaderNameList('a'.repeat(4097)), undefined);
    assert.deepEqual(parseHeaderNameList('a'.repeat(4096)), ['a'.repeat(4096)]);
    const names = Array.from({ length: 64 }, (_, i) => `x-${i}`);
    assert.deepEqual(parseHeaderNameList(names.join(',')), names);
    assert.equal(parseHeaderNameList([...names, 'x-64'].join(',')), undefined);
    // Empty elements do not count towards the cap.
    assert.deepEqual(parseHeaderNameList(`${names.join(',')},,,`), names);
  });
});

describe('splitConfigList', () => {
  test('strings and arrays', () => {
    assert.deepEqual(splitConfigList(' GET, POST ,,'), ['GET', 'POST']);
    assert.deepEqual(splitConfigList([' GET ', '', 'POST']), ['GET', 'POST']);
    assert.deepEqual(splitConfigList(''), []);
    // Non-strings are passed through for the caller to report with their index.
    assert.deepEqual(splitConfigList(['GET', 5 as unknown as string]), ['GET', 5]);
  });
});
