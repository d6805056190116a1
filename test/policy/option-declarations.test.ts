/**
 * Each option is declared once (src/policy/option-declarations.ts) and everything else about it is
 * derived: the option names, the CORS_* variables, the phase that reads it. An option declared but
 * read by no phase would be silently ignored; these tests make that impossible to miss.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENV_VARIABLES } from '../../src/policy/environment.js';
import { OPTION_DECLARATIONS } from '../../src/policy/option-declarations.js';
import { OPTION_NAMES } from '../../src/policy/options.js';
import { FIELD_ORDER } from '../../src/policy/policy-fields.js';

/** Read outside FIELD_ORDER: by option-sources.ts (env), before the fields (the origin rules and
 * the setting they are compiled with), with allowedHeaders (headers), after the combinations. */
const READ_ELSEWHERE = [
  'env',
  'dangerouslyAllowPublicSuffixesUnderWildcards',
  'origin',
  'allowedHosts',
  'headers',
  'onDecision',
  'reportOnly',
];

describe('option declarations', () => {
  test('every declared option is read by exactly one phase', () => {
    const read = [...READ_ELSEWHERE, ...FIELD_ORDER];
    assert.equal(new Set(read).size, read.length, `an option is read twice: ${read.join(', ')}`);
    assert.deepEqual([...read].sort(), [...OPTION_NAMES].sort());
  });

  test('OPTION_NAMES and the CORS_* variables keep the order the messages list them in', () => {
    assert.deepEqual(OPTION_NAMES, Object.keys(OPTION_DECLARATIONS));
    assert.deepEqual(OPTION_NAMES.slice(0, 8), [
      'origin',
      'allowedHosts',
      'credentials',
      'methods',
      'allowedHeaders',
      'headers',
      'exposedHeaders',
      'maxAge',
    ]);
    assert.deepEqual(Object.entries(ENV_VARIABLES).slice(0, 4), [
      ['CORS_ALLOWED_ORIGINS', { option: 'origin', kind: 'list' }],
      ['CORS_ALLOWED_HOSTS', { option: 'allowedHosts', kind: 'list' }],
      ['CORS_CREDENTIALS', { option: 'credentials', kind: 'boolean' }],
      ['CORS_ALLOWED_METHODS', { option: 'methods', kind: 'list' }],
    ]);
    assert.deepEqual(ENV_VARIABLES.CORS_MAX_AGE, { option: 'maxAge', kind: 'integer' });
  });

  test("each variable is its declaration's, and each declaration has a doc line", () => {
    for (const [name, declaration] of Object.entries(OPTION_DECLARATIONS)) {
      assert.ok(declaration.doc.length > 10 && !declaration.doc.includes('\n'), `${name}: one line of doc`);
      if (declaration.env === undefined) continue;
      assert.equal(ENV_VARIABLES[declaration.env]?.option, name);
    }
    assert.equal(Object.keys(ENV_VARIABLES).length, 15);
  });
});
