import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CorsRequestContext, ResponseSnapshot } from '../../src/cli/cors-check.js';
import { actualCheck, corsCheck, preflightCheck, varyCheck } from '../../src/cli/cors-check.js';
import type { Finding } from '../../src/cli/findings.js';
import type { RawHeaders } from '../../src/cli/headers.js';
import { diagnoseOriginMismatch } from '../../src/cli/origin-mismatch.js';

const ORIGIN = 'https://app.example.com';

function res(status: number, headers: RawHeaders): ResponseSnapshot {
  return { status, statusText: '', headers };
}

function ctx(over: Partial<CorsRequestContext> = {}): CorsRequestContext {
  return { origin: ORIGIN, credentials: 'same-origin', method: 'GET', headers: [], ...over };
}

function codes(findings: readonly Finding[]): string[] {
  return findings.map((f) => (f.detail === undefined ? f.code : `${f.code}:${f.detail}`));
}

describe('proxy-made errors', () => {
  const page =
    '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
  it("recognises nginx's default error page when the Server header was removed", () => {
    const findings = corsCheck({ ...res(504, []), body: page }, ctx(), 'actual');
    assert.deepEqual(codes(findings), ['no-allow-origin:proxy-error']);
    assert.match(findings[0]?.fix ?? '', /cors-safety nginx/);
  });
  it("an app's own error body that mentions nginx is not nginx's page", () => {
    const findings = corsCheck({ ...res(502, []), body: '{"error":"nginx upstream"}' }, ctx(), 'actual');
    assert.deepEqual(codes(findings), ['no-allow-origin:error-status']);
  });
});

describe('corsCheck (Fetch §4.9)', () => {
  const cases: [
    title: string,
    status: number,
    headers: RawHeaders,
    c: Partial<CorsRequestContext>,
    expected: string[],
  ][] = [
    ['exact origin passes', 200, [['Access-Control-Allow-Origin', ORIGIN]], {}, []],
    ['* passes without credentials', 200, [['Access-Control-Allow-Origin', '*']], {}, []],
    [
      '* fails with credentials',
      200,
      [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      { credentials: 'include' },
      ['wildcard-with-credentials'],
    ],
    ['missing on 200', 200, [], {}, ['no-allow-origin:not-granted']],
    ['missing on 401 points to the error path', 401, [], {}, ['no-allow-origin:error-status']],
    ['missing on 500', 500, [['Content-Type', 'text/html']], {}, ['no-allow-origin:error-status']],
    ['missing on a 502 from nginx', 502, [['Server', 'nginx/1.22.1']], {}, ['no-allow-origin:proxy-error']],
    [
      'missing on a 413 from nginx (server_tokens off)',
      413,
      [['Server', 'nginx']],
      {},
      ['no-allow-origin:proxy-error'],
    ],
    [
      'a server merely named like nginx is not nginx',
      502,
      [['Server', 'nginxish']],
      {},
      ['no-allow-origin:error-status'],
    ],
    ['Server: nginx on a 200 is not an error', 200, [['Server', 'nginx']], {}, ['no-allow-origin:not-granted']],
    ['missing on a redirect', 302, [['Location', '/x']], {}, ['no-allow-origin:redirect']],
    [
      'two identical lines',
      200,
      [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['access-control-allow-origin', ORIGIN],
      ],
      {},
      ['allow-origin-duplicated:identical'],
    ],
    [
      'two different lines',
      200,
      [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Origin', ORIGIN],
      ],
      {},
      ['allow-origin-duplicated:different'],
    ],
    [
      'a list in one line',
      200,
      [['Access-Control-Allow-Origin', `${ORIGIN}, https://b.example.com`]],
      {},
      ['allow-origin-list'],
    ],
    [
      'credentials: exact origin and true',
      200,
      [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      { credentials: 'include' },
      [],
    ],
    [
      'credentials: header missing',
      200,
      [['Access-Control-Allow-Origin', ORIGIN]],
      { credentials: 'include' },
      ['credentials-not-allowed:missing'],
    ],
    [
      'credentials: "True" is not true',
      200,
      [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['Access-Control-Allow-Credentials', 'True'],
      ],
      { credentials: 'include' },
      ['credentials-not-allowed:not-true'],
    ],
    [
      'credentials: sent twice',
      200,
      [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['Access-Control-Allow-Credentials', 'true'],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      { credentials: 'include' },
      ['credentials-not-allowed:duplicated'],
    ],
    [
      'credentials header is ignored without credentials',
      200,
      [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['Access-Control-Allow-Credentials', 'yes'],
      ],
      {},
      [],
    ],
    [
      'mismatch',
      200,
      [['Access-Control-Allow-Origin', 'https://other.example.com']],
      {},
      ['allow-origin-mismatch:host'],
    ],
  ];
  for (const [title, status, headers, c, expected] of cases) {
    it(title, () => assert.deepEqual(codes(corsCheck(res(status, headers), ctx(c), 'actual')), expected));
  }

  it('says what the error status was and how to fix the error path', () => {
    const [finding] = corsCheck(res(401, []), ctx(), 'actual');
    assert.match(finding?.cause ?? '', /401/);
    assert.match(finding?.cause ?? '', /error responses must carry them too/);
    assert.match(finding?.fix ?? '', /corsSafety\(\) first and corsErrorHandler\(\) last/);
  });

  it('accepts only the exact origin or * (property: nothing else is ever granted)', () => {
    const value = fc.oneof(
      fc.constantFrom(
        ORIGIN,
        `${ORIGIN}/`,
        'https://APP.example.com',
        'http://app.example.com',
        'https://app.example.com:443',
        '*',
        'null',
        '',
      ),
      fc.webUrl().map((u) => new URL(u).origin),
      fc.string(),
    );
    fc.assert(
      fc.property(value, fc.boolean(), (acao, include) => {
        const findings = corsCheck(
          res(200, [
            ['Access-Control-Allow-Origin', acao],
            ['Access-Control-Allow-Credentials', 'true'],
          ]),
          ctx({ credentials: include ? 'include' : 'same-origin' }),
          'actual',
        );
        const passed = findings.length === 0;
        const shouldPass = acao === ORIGIN || (acao === '*' && !include);
        return passed === shouldPass;
      }),
    );
  });
});

describe('diagnoseOriginMismatch', () => {
  const cases: [sent: string, received: string, detail: string][] = [
    ['http://127.0.0.1:5173', 'http://localhost:5173', 'localhost-alias'],
    ['http://localhost:5173', 'http://127.0.0.1:5173', 'localhost-alias'],
    ['http://localhost:3000', 'http://[::1]:3000', 'localhost-alias'],
    ['http://localhost:5173', 'http://localhost:3000', 'port'],
    ['https://app.example.com', 'http://app.example.com', 'scheme'],
    ['https://app.example.com', 'https://app.example.com/', 'trailing-slash'],
    ['https://app.example.com', 'https://app.example.com/app', 'path'],
    ['https://app.example.com', 'https://App.Example.com', 'case'],
    ['https://app.example.com', 'https://app.example.com:443', 'default-port'],
    ['https://app.example.com', 'https://admin.example.com', 'host'],
    ['https://app.example.com', 'null', 'null'],
    ['https://app.example.com', 'app.example.com', 'malformed'],
  ];
  for (const [sent, received, detail] of cases) {
    it(`${sent} vs ${received}: ${detail}`, () => assert.equal(diagnoseOriginMismatch(sent, received).detail, detail));
  }
  it('explains localhost vs 127.0.0.1 by name', () => {
    assert.match(
      diagnoseOriginMismatch('http://127.0.0.1:5173', 'http://localhost:5173').explanation,
      /`localhost` and `127\.0\.0\.1`/,
    );
  });
});

describe('preflightCheck (Fetch §4.8)', () => {
  const ok: RawHeaders = [['Access-Control-Allow-Origin', ORIGIN]];
  const put = { method: 'PUT' };
  const cases: [
    title: string,
    status: number,
    headers: RawHeaders,
    c: Partial<CorsRequestContext>,
    expected: string[],
  ][] = [
    ['204 with method listed', 204, [...ok, ['Access-Control-Allow-Methods', 'GET, PUT']], put, []],
    ['301 is a preflight redirect', 301, [['Location', '/api/']], put, ['preflight-redirect']],
    ['307 is a preflight redirect', 307, [...ok, ['Location', 'https://x/']], put, ['preflight-redirect']],
    ['401 means auth before CORS', 401, [], put, ['preflight-status:auth']],
    ['404 means no OPTIONS handler', 404, [], put, ['preflight-status:no-handler']],
    ['502 is a server error', 502, ok, put, ['preflight-status:server-error']],
    [
      '2xx without ACAO, framework answered OPTIONS',
      200,
      [['Allow', 'GET,HEAD']],
      put,
      ['no-allow-origin:framework-options'],
    ],
    [
      'method missing from the list',
      204,
      [...ok, ['Access-Control-Allow-Methods', 'GET, POST']],
      put,
      ['method-not-allowed:not-listed'],
    ],
    ['no Access-Control-Allow-Methods', 204, ok, put, ['method-not-allowed:missing-header']],
    [
      'methods are case-sensitive',
      204,
      [...ok, ['Access-Control-Allow-Methods', 'PATCH']],
      { method: 'patch' },
      ['method-not-allowed:not-listed'],
    ],
    ['* allows any method without credentials', 204, [...ok, ['Access-Control-Allow-Methods', '*']], put, []],
    [
      '* does not count with credentials',
      204,
      [...ok, ['Access-Control-Allow-Credentials', 'true'], ['Access-Control-Allow-Methods', '*']],
      { ...put, credentials: 'include' },
      ['method-not-allowed:not-listed'],
    ],
    [
      'safelisted method needs no listing',
      204,
      ok,
      { headers: [['X-Trace', '1']] },
      ['header-not-allowed:missing-header'],
    ],
    [
      'header listed in another case',
      204,
      [...ok, ['Access-Control-Allow-Headers', 'x-TRACE']],
      { headers: [['X-Trace', '1']] },
      [],
    ],
    [
      'header missing from the list',
      204,
      [...ok, ['Access-Control-Allow-Headers', 'Content-Type']],
      {
        headers: [
          ['X-Trace', '1'],
          ['Content-Type', 'application/json'],
        ],
      },
      ['header-not-allowed:not-listed'],
    ],
    [
      '* covers headers without credentials',
      204,
      [...ok, ['Access-Control-Allow-Headers', '*']],
      { headers: [['X-Trace', '1']] },
      [],
    ],
    [
      '* lets Authorization through without credentials, as Chromium, Firefox and WebKit do (a warning)',
      204,
      [...ok, ['Access-Control-Allow-Headers', '*']],
      { headers: [['Authorization', 'x']] },
      ['authorization-wildcard'],
    ],
    [
      '* does not cover headers with credentials',
      204,
      [...ok, ['Access-Control-Allow-Credentials', 'true'], ['Access-Control-Allow-Headers', '*']],
      { credentials: 'include', headers: [['X-Trace', '1']] },
      ['header-not-allowed:not-listed'],
    ],
    [
      'allow lists spread over two lines',
      204,
      [...ok, ['Access-Control-Allow-Methods', 'GET'], ['Access-Control-Allow-Methods', 'PUT']],
      put,
      [],
    ],
    [
      'a list that is not tokens',
      204,
      [...ok, ['Access-Control-Allow-Methods', 'PUT; GET']],
      put,
      ['preflight-header-invalid'],
    ],
    [
      'CORS check failure stops before methods',
      204,
      [['Access-Control-Allow-Origin', 'https://x.example']],
      put,
      ['allow-origin-mismatch:host'],
    ],
  ];
  for (const [title, status, headers, c, expected] of cases) {
    it(title, () => assert.deepEqual(codes(preflightCheck(res(status, headers), ctx(c))), expected));
  }
  it('Authorization under *: what the engines do (allowed), what the standard says, and the deprecation', () => {
    const [finding, ...rest] = preflightCheck(
      res(204, [...ok, ['Access-Control-Allow-Headers', '*']]),
      ctx({ headers: [['Authorization', 'x']] }),
    );
    assert.deepEqual(rest, []);
    assert.equal(finding?.severity, 'warning');
    assert.match(finding?.cause ?? '', /Chromium, Firefox and WebKit let it through/);
    assert.match(finding?.cause ?? '', /deprecation/);
    assert.match(finding?.fix ?? '', /List authorization by name/);
  });
  it('Authorization under * with credentials is blocked: * counts for nothing then', () => {
    const findings = preflightCheck(
      res(204, [...ok, ['Access-Control-Allow-Credentials', 'true'], ['Access-Control-Allow-Headers', '*']]),
      ctx({ headers: [['Authorization', 'x']], credentials: 'include' }),
    );
    assert.deepEqual(
      findings.map((f) => f.code),
      ['header-not-allowed'],
    );
    assert.match(findings[0]?.cause ?? '', /only for requests without credentials/);
  });
  it('gives the redirect target', () => {
    const [finding] = preflightCheck(res(301, [['Location', 'https://api.example.com/v1/']]), ctx(put));
    assert.match(finding?.cause ?? '', /301 to https:\/\/api\.example\.com\/v1\//);
  });
});

describe('varyCheck and actualCheck', () => {
  it('warns when a specific origin is echoed without Vary: Origin', () => {
    const findings = varyCheck(
      res(200, [
        ['Access-Control-Allow-Origin', ORIGIN],
        ['Vary', 'Accept-Encoding'],
      ]),
      'actual',
    );
    assert.deepEqual(codes(findings), ['vary-origin-missing']);
    assert.equal(findings[0]?.severity, 'warning');
  });
  it('is satisfied by Origin in any Vary line, in any case, or by Vary: *', () => {
    assert.deepEqual(
      varyCheck(
        res(200, [
          ['Access-Control-Allow-Origin', ORIGIN],
          ['Vary', 'Accept'],
          ['vary', 'ORIGIN'],
        ]),
        'actual',
      ),
      [],
    );
    assert.deepEqual(
      varyCheck(
        res(200, [
          ['Access-Control-Allow-Origin', ORIGIN],
          ['Vary', '*'],
        ]),
        'actual',
      ),
      [],
    );
  });
  it('does not warn for *', () => {
    assert.deepEqual(varyCheck(res(200, [['Access-Control-Allow-Origin', '*']]), 'actual'), []);
  });
  it('reports a redirect it does not follow, and checks the redirect response itself', () => {
    assert.deepEqual(codes(actualCheck(res(302, [['Location', '/login']]), ctx())), [
      'no-allow-origin:redirect',
      'redirect-not-followed',
    ]);
    assert.deepEqual(
      codes(
        actualCheck(
          res(302, [
            ['Location', '/login'],
            ['Access-Control-Allow-Origin', '*'],
          ]),
          ctx(),
        ),
      ),
      ['redirect-not-followed'],
    );
  });
  it('an allowed error response is allowed: the page sees the 404', () => {
    assert.deepEqual(
      actualCheck(
        res(404, [
          ['Access-Control-Allow-Origin', ORIGIN],
          ['Vary', 'Origin'],
        ]),
        ctx(),
      ),
      [],
    );
  });
});
