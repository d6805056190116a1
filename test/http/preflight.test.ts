/**
 * Preflights: the pure decision (`answerPreflight`) as table tests, then the answer over the
 * wire on every stack (status, headers, Vary, Content-Length, preflightContinue, OPTIONS that
 * are not preflights).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_HEADER_LIST_ITEMS } from '../../src/shared/http-tokens.js';
import { compiledPolicy, createCorsPolicy } from '../../src/policy/policy.js';
import {
  DENIED_PREFLIGHT_STATUS,
  answerPreflight,
  preflightVary,
  type PreflightAnswer,
} from '../../src/headers/preflight.js';
import type { OriginVerdict } from '../../src/policy/reasons.js';
import { REASON_HEADER, type CorsSafetyOptions } from '../../src/index.js';
import { HANDLER_RAN, stacks, type Running } from '../helpers/frameworks.js';
import { accessControlNames, call, headerLineCount, list, preflight, rawCall } from '../helpers/middleware-http.js';

const ORIGIN = 'https://app.example.com';
const DENIED_ORIGIN = 'https://other.example';
const DEFAULT_METHODS = 'GET, HEAD, PUT, PATCH, POST, DELETE';
const DEFAULT_HEADERS = 'accept, accept-language, authorization, content-language, content-type, x-requested-with';

const allowed: OriginVerdict = { allowed: true, reason: 'allowed-exact', origin: ORIGIN, rule: ORIGIN };
const denied: OriginVerdict = { allowed: false, reason: 'origin-not-allowed', origin: DENIED_ORIGIN };

function compile(options: CorsSafetyOptions = {}) {
  return compiledPolicy(createCorsPolicy({ origin: ORIGIN, env: {}, ...options }));
}

function headerMap(answer: PreflightAnswer): Record<string, string> {
  return Object.fromEntries(answer.headers);
}

describe('answerPreflight (pure)', () => {
  const policy = compile({ credentials: true });

  it('refuses a denied origin with 403, nothing granted or reflected', () => {
    const answer = answerPreflight(policy, denied, 'PUT', 'content-type');
    assert.deepEqual(answer, { ok: false, status: DENIED_PREFLIGHT_STATUS, headers: [], reason: 'origin-not-allowed' });
    assert.equal(DENIED_PREFLIGHT_STATUS, 403);
  });

  it('grants an allowed origin: origin, credentials, methods, requested headers, max-age', () => {
    const answer = answerPreflight(policy, allowed, 'PUT', 'Content-Type, Authorization');
    assert.equal(answer.ok, true);
    assert.equal(answer.status, 204);
    assert.equal(answer.reason, undefined);
    assert.deepEqual(answer.headers, [
      ['Access-Control-Allow-Origin', ORIGIN],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Access-Control-Allow-Methods', DEFAULT_METHODS],
      ['Access-Control-Allow-Headers', 'content-type, authorization'],
      ['Access-Control-Max-Age', '600'],
    ]);
  });

  it('sends no Access-Control-Allow-Headers when none were requested, and no credentials unless configured', () => {
    for (const requested of [undefined, '', ' , ,\t']) {
      const answer = answerPreflight(compile(), allowed, 'DELETE', requested);
      assert.equal(answer.ok, true, JSON.stringify(requested));
      assert.deepEqual(Object.keys(headerMap(answer)), [
        'Access-Control-Allow-Origin',
        'Access-Control-Allow-Methods',
        'Access-Control-Max-Age',
      ]);
    }
  });

  const methodCases: [string, CorsSafetyOptions, string, PreflightAnswer['reason']][] = [
    ['PATCH is allowed by default', {}, 'PATCH', undefined],
    ['methods compare case-sensitively: "patch" is not "PATCH"', {}, 'patch', 'method-not-allowed'],
    ['"get" is not the safelisted "GET"', { methods: ['PUT'] }, 'get', 'method-not-allowed'],
    ['GET is safelisted whatever the list', { methods: ['PUT'] }, 'GET', undefined],
    ['HEAD is safelisted whatever the list', { methods: ['PUT'] }, 'HEAD', undefined],
    ['POST is safelisted whatever the list', { methods: ['PUT'] }, 'POST', undefined],
    ['a method outside the list', { methods: ['GET', 'PUT'] }, 'DELETE', 'method-not-allowed'],
    ['a custom method in the list', { methods: ['PROPFIND'] }, 'PROPFIND', undefined],
    ['an empty method', {}, '', 'method-malformed'],
    ['a method with a space', {}, 'PU T', 'method-malformed'],
    ['two methods (a repeated header, joined by Node)', {}, 'PUT, PUT', 'method-malformed'],
    ['a non-ASCII method', {}, 'PUTé', 'method-malformed'],
  ];
  for (const [name, options, method, reason] of methodCases) {
    it(`method: ${name}`, () => {
      const answer = answerPreflight(compile(options), allowed, method, undefined);
      assert.equal(answer.reason, reason);
      assert.equal(answer.ok, reason === undefined);
    });
  }

  const headerCases: [string, string, string | undefined, PreflightAnswer['reason']][] = [
    ['one name, any case', 'Content-Type', 'content-type', undefined],
    ['spaces around names', '  accept ,  content-type  ', 'accept, content-type', undefined],
    ['tabs around names', '\taccept\t,\tcontent-type', 'accept, content-type', undefined],
    ['empty elements are skipped', ',,accept,, ,content-type,', 'accept, content-type', undefined],
    ['a name outside the list', 'content-type, x-custom', undefined, 'header-not-allowed'],
    ['whitespace inside an element', 'x-a x-b', undefined, 'headers-malformed'],
    ['a separator character', 'content-type;', undefined, 'headers-malformed'],
    ['a colon', 'content-type:', undefined, 'headers-malformed'],
    ['a non-ASCII name', 'x-café', undefined, 'headers-malformed'],
    ['a control character', 'accept\u0000', undefined, 'headers-malformed'],
  ];
  for (const [name, requested, echoed, reason] of headerCases) {
    it(`headers: ${name}`, () => {
      const answer = answerPreflight(policy, allowed, 'PUT', requested);
      assert.equal(answer.reason, reason);
      assert.equal(
        headerMap(answer)['Access-Control-Allow-Headers'],
        echoed ?? (reason === undefined ? undefined : DEFAULT_HEADERS),
      );
    });
  }

  it(`refuses more than ${MAX_HEADER_LIST_ITEMS} names, accepts exactly ${MAX_HEADER_LIST_ITEMS}`, () => {
    const any = compile({ allowedHeaders: '*' });
    const names = (n: number): string => Array.from({ length: n }, (_, i) => `x-h${i}`).join(', ');
    assert.equal(answerPreflight(any, allowed, 'PUT', names(MAX_HEADER_LIST_ITEMS)).ok, true);
    assert.equal(answerPreflight(any, allowed, 'PUT', names(MAX_HEADER_LIST_ITEMS + 1)).reason, 'headers-malformed');
  });

  it('refuses a 16 KiB list of commas and spaces (length cap, no parsing)', () => {
    const any = compile({ allowedHeaders: '*' });
    const answer = answerPreflight(any, allowed, 'PUT', ', '.repeat(8192));
    assert.equal(answer.ok, false);
    assert.equal(answer.reason, 'headers-malformed');
    // The refusal grants the origin so the browser names the real cause, but never lists headers.
    assert.equal(headerMap(answer)['Access-Control-Allow-Origin'], ORIGIN);
    assert.equal(headerMap(answer)['Access-Control-Allow-Headers'], undefined);
  });

  it('refusals send the configured lists, never the requested values, and no max-age', () => {
    const answer = answerPreflight(policy, allowed, 'PURGE', 'x-evil');
    assert.equal(answer.ok, false);
    assert.equal(answer.status, 204, 'an ok status, so the browser reports the method, not the origin');
    assert.equal(answer.reason, 'method-not-allowed');
    assert.deepEqual(answer.headers, [
      ['Access-Control-Allow-Origin', ORIGIN],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Access-Control-Allow-Methods', DEFAULT_METHODS],
      ['Access-Control-Allow-Headers', DEFAULT_HEADERS],
    ]);
  });

  it('allowedHeaders "*" allows any well-formed name and echoes only the validated names', () => {
    const any = compile({ allowedHeaders: '*' });
    const ok = answerPreflight(any, allowed, 'PUT', 'X-Custom,  X-Other ');
    assert.equal(ok.ok, true);
    assert.equal(headerMap(ok)['Access-Control-Allow-Headers'], 'x-custom, x-other');
    assert.equal(answerPreflight(any, allowed, 'PUT', 'x-a x-b').reason, 'headers-malformed');
    assert.equal(
      answerPreflight(any, allowed, 'PUT', 'x-custom, *').ok,
      true,
      '"*" is a token; echoed as a name, it grants nothing more',
    );
    const refused = answerPreflight(any, allowed, 'PURGE', 'x-custom');
    assert.equal(refused.reason, 'method-not-allowed');
    assert.equal(headerMap(refused)['Access-Control-Allow-Headers'], undefined, 'no configured list to send');
  });

  it('uses optionsSuccessStatus for successes and refusals of an allowed origin', () => {
    const policy200 = compile({ optionsSuccessStatus: 200 });
    assert.equal(answerPreflight(policy200, allowed, 'PUT', undefined).status, 200);
    assert.equal(answerPreflight(policy200, allowed, 'PURGE', undefined).status, 200);
    assert.equal(answerPreflight(policy200, denied, 'PUT', undefined).status, 403);
  });

  it('sends max-age 0 when maxAge is 0 (no caching), and a configured one', () => {
    assert.equal(
      headerMap(answerPreflight(compile({ maxAge: 0 }), allowed, 'PUT', undefined))['Access-Control-Max-Age'],
      '0',
    );
    assert.equal(
      headerMap(answerPreflight(compile({ maxAge: 7200 }), allowed, 'PUT', undefined))['Access-Control-Max-Age'],
      '7200',
    );
  });

  it('public policies answer * to every origin, verdict aside, and vary only on the request headers', () => {
    const pub = compile({ origin: '*' });
    const answer = answerPreflight(pub, { allowed: false, reason: 'origin-malformed' }, 'PUT', undefined);
    assert.equal(answer.ok, true);
    assert.equal(headerMap(answer)['Access-Control-Allow-Origin'], '*');
    assert.deepEqual(preflightVary(pub), ['Access-Control-Request-Method', 'Access-Control-Request-Headers']);
    assert.deepEqual(preflightVary(policy), [
      'Origin',
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
    ]);
  });
});

const OPTIONS: CorsSafetyOptions = { origin: ORIGIN, credentials: true, env: {} };

for (const stack of stacks) {
  describe(`preflight over the wire on ${stack.name}`, () => {
    let app: Running;
    let app200: Running;
    let continued: Running;
    before(async () => {
      app = await stack.start(OPTIONS);
      app200 = await stack.start({ ...OPTIONS, optionsSuccessStatus: 200, maxAge: 0 });
      continued = await stack.start({ ...OPTIONS, preflightContinue: true });
    });
    after(async () => {
      await Promise.all([app.close(), app200.close(), continued.close()]);
    });

    it('answers a successful preflight: 204, Content-Length: 0, the grant, Vary on all three fields', async () => {
      const reply = await rawCall(`${app.url}/options`, 'OPTIONS', {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type, authorization',
      });
      assert.equal(reply.status, 204);
      assert.equal(reply.body, '');
      assert.equal(reply.headers['content-length'], '0');
      assert.equal(headerLineCount(reply.rawHeaders, 'access-control-allow-origin'), 1);
      assert.equal(reply.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(reply.headers['access-control-allow-credentials'], 'true');
      assert.equal(reply.headers['access-control-allow-methods'], DEFAULT_METHODS);
      assert.equal(reply.headers['access-control-allow-headers'], 'content-type, authorization');
      assert.equal(reply.headers['access-control-max-age'], '600');
      assert.equal(reply.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      assert.equal(reply.headers[HANDLER_RAN.toLowerCase()], undefined, 'never forwarded');
    });

    it('uses optionsSuccessStatus and sends max-age 0 when maxAge is 0', async () => {
      const reply = await preflight(`${app200.url}/options`, ORIGIN, 'PUT');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(reply.headers.get('access-control-max-age'), '0');
      assert.equal(reply.headers.get(HANDLER_RAN), null);
    });

    it('refuses a denied origin: 403, no Access-Control-*, the reason in the network panel', async () => {
      const reply = await preflight(`${app.url}/options`, DENIED_ORIGIN, 'PUT', 'content-type');
      assert.equal(reply.status, 403);
      assert.deepEqual(accessControlNames(reply.headers), []);
      assert.equal(reply.headers.get(REASON_HEADER), 'origin-not-allowed');
      assert.equal(reply.headers.get('content-length'), '0');
      assert.ok(list(reply.headers.get('vary'))?.includes('Origin'));
    });

    it('refuses a method for an allowed origin so the browser names the method', async () => {
      const reply = await preflight(`${app.url}/options`, ORIGIN, 'PURGE');
      assert.equal(reply.status, 204);
      assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(reply.headers.get('access-control-allow-credentials'), 'true');
      assert.equal(reply.headers.get('access-control-allow-methods'), DEFAULT_METHODS);
      assert.equal(reply.headers.get('access-control-allow-headers'), DEFAULT_HEADERS);
      assert.equal(reply.headers.get('access-control-max-age'), null);
      assert.equal(reply.headers.get(REASON_HEADER), 'method-not-allowed');
    });

    it('compares methods case-sensitively: "patch" is refused, "PATCH" granted', async () => {
      assert.equal(
        (await preflight(`${app.url}/ok`, ORIGIN, 'patch')).headers.get(REASON_HEADER),
        'method-not-allowed',
      );
      const upper = await preflight(`${app.url}/ok`, ORIGIN, 'PATCH');
      assert.equal(upper.headers.get(REASON_HEADER), null);
      assert.equal(upper.headers.get('access-control-max-age'), '600');
    });

    it('refuses a header outside the list, and a malformed list, without echoing it', async () => {
      const custom = await preflight(`${app.url}/ok`, ORIGIN, 'PUT', 'x-evil');
      assert.equal(custom.headers.get(REASON_HEADER), 'header-not-allowed');
      assert.equal(custom.headers.get('access-control-allow-headers'), DEFAULT_HEADERS);
      const malformed = await preflight(`${app.url}/ok`, ORIGIN, 'PUT', 'content-type x-evil');
      assert.equal(malformed.headers.get(REASON_HEADER), 'headers-malformed');
      assert.ok(!(malformed.headers.get('access-control-allow-headers') ?? '').includes('x-evil'));
      // 8 KiB of commas and spaces (Node's own limit for the whole head is 16 KiB).
      const long = await preflight(`${app.url}/ok`, ORIGIN, 'PUT', ', '.repeat(4096));
      assert.equal(long.status, 204);
      assert.equal(long.headers.get(REASON_HEADER), 'headers-malformed');
    });

    it('refuses two Access-Control-Request-Method headers as malformed', async () => {
      const reply = await rawCall(`${app.url}/ok`, 'OPTIONS', {
        Origin: ORIGIN,
        'Access-Control-Request-Method': ['PUT', 'DELETE'],
      });
      assert.equal(reply.headers[REASON_HEADER.toLowerCase()], 'method-malformed');
      assert.equal(reply.headers['access-control-max-age'], undefined);
    });

    it('passes OPTIONS without Access-Control-Request-Method, or without Origin, to the app', async () => {
      const noMethod = await call(`${app.url}/options`, { method: 'OPTIONS', origin: ORIGIN });
      assert.equal(noMethod.body, 'app options');
      assert.equal(noMethod.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(
        noMethod.headers.get('access-control-allow-methods'),
        null,
        'an actual request, not a preflight answer',
      );
      const noOrigin = await call(`${app.url}/options`, {
        method: 'OPTIONS',
        headers: { 'Access-Control-Request-Method': 'PUT' },
      });
      assert.equal(noOrigin.body, 'app options');
      assert.equal(noOrigin.headers.get('x-app-saw-method'), 'PUT');
      assert.deepEqual(accessControlNames(noOrigin.headers), []);
    });

    describe('preflightContinue', () => {
      it('hands a successful preflight to the app with the grant already set', async () => {
        const reply = await preflight(`${continued.url}/options`, ORIGIN, 'PUT', 'content-type');
        assert.equal(reply.status, 200);
        assert.equal(reply.body, 'app options');
        assert.equal(reply.headers.get('x-app-saw-method'), 'PUT');
        assert.equal(reply.headers.get('access-control-allow-origin'), ORIGIN);
        assert.equal(reply.headers.get('access-control-allow-methods'), DEFAULT_METHODS);
        assert.equal(reply.headers.get('access-control-allow-headers'), 'content-type');
      });

      it('still answers failed preflights itself: the app never sees them', async () => {
        const deniedReply = await preflight(`${continued.url}/options`, DENIED_ORIGIN, 'PUT');
        assert.equal(deniedReply.status, 403);
        assert.equal(deniedReply.headers.get(HANDLER_RAN), null);
        assert.deepEqual(accessControlNames(deniedReply.headers), []);
        const refused = await preflight(`${continued.url}/options`, ORIGIN, 'PURGE');
        assert.equal(refused.status, 204);
        assert.equal(refused.headers.get(HANDLER_RAN), null);
        assert.equal(refused.headers.get(REASON_HEADER), 'method-not-allowed');
      });
    });
  });
}
