/**
 * Every printed fix works when followed (issue #22): for each finding code the doctor reports
 * against a real server, the server is changed exactly as the printed fix says, and the same probe
 * then passes. The servers are node:http with the CORS behaviour as knobs, so each fix is one knob.
 * The other codes are followed in fixes-work-request, -socketio and -browser; fix-coverage.test.ts
 * checks that every code has such a test.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/run.js';
import { listen } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import type { DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN, wsServer } from './servers.js';

/** How the server answers; each finding's fix changes one of these. */
interface Knobs {
  /** Access-Control-Allow-Origin: `echo` the allowed origin, `reflect` any, `twice`, a `list`, `none`, or this value. */
  acao: string;
  acac?: 'true' | 'TRUE' | undefined;
  vary?: boolean | undefined;
  methods?: string | undefined;
  headers?: string | undefined;
  /** Authentication answers 401 before CORS runs (also for OPTIONS). */
  authFirst?: boolean | undefined;
  /** OPTIONS is redirected instead of answered. */
  redirectOptions?: boolean | undefined;
}

function server(knobs: Knobs) {
  return listen(
    http.createServer((req, res) => {
      if (knobs.authFirst === true && req.headers.authorization !== 'Bearer good') {
        res.writeHead(401).end();
        return;
      }
      if (req.method === 'OPTIONS' && knobs.redirectOptions === true) {
        res.writeHead(301, { Location: `${req.url ?? '/'}/` }).end();
        return;
      }
      const origin = req.headers.origin ?? '';
      const granted = origin === PAGE_ORIGIN;
      if (knobs.acao === 'echo' && granted) res.setHeader('Access-Control-Allow-Origin', origin);
      else if (knobs.acao === 'reflect') res.setHeader('Access-Control-Allow-Origin', origin);
      else if (knobs.acao === 'twice') res.setHeader('Access-Control-Allow-Origin', [origin, origin]);
      else if (knobs.acao === 'list') res.setHeader('Access-Control-Allow-Origin', `${PAGE_ORIGIN}, https://b.example`);
      else if (!['none', 'echo', 'reflect'].includes(knobs.acao))
        res.setHeader('Access-Control-Allow-Origin', knobs.acao);
      if (knobs.acac !== undefined) res.setHeader('Access-Control-Allow-Credentials', knobs.acac);
      if (knobs.vary === true) res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        if (knobs.methods !== undefined) res.setHeader('Access-Control-Allow-Methods', knobs.methods);
        if (knobs.headers !== undefined) res.setHeader('Access-Control-Allow-Headers', knobs.headers);
        res.writeHead(204).end();
        return;
      }
      res.end('{}');
    }),
  );
}

async function probe(knobs: Knobs, args: readonly string[]): Promise<DoctorJson> {
  const running = await server(knobs);
  try {
    let stdout = '';
    await run(
      ['doctor', `${running.url}/api`, '--origin', PAGE_ORIGIN, '--json', '--timeout', String(scaled(5000)), ...args],
      {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
      },
    );
    return JSON.parse(stdout) as DoctorJson;
  } finally {
    await running.close();
  }
}

const GOOD: Knobs = { acao: 'echo', acac: 'true', vary: true, methods: 'GET, PUT', headers: 'Authorization, X-Tenant' };

/** [code, the broken server, the probe's arguments, what the fix must say, the server with the fix applied]. */
const CASES: [code: string, broken: Knobs, args: string[], fix: RegExp, fixed: Knobs][] = [
  ['allow-origin-duplicated', { ...GOOD, acao: 'twice' }, [], /exactly one layer/, GOOD],
  ['allow-origin-list', { ...GOOD, acao: 'list' }, [], /echo only that origin, with Vary: Origin/, GOOD],
  [
    'allow-origin-mismatch',
    { ...GOOD, acao: 'http://localhost:5173' },
    [],
    /Allow exactly "http:\/\/127\.0\.0\.1:5173"/,
    GOOD,
  ],
  [
    'wildcard-with-credentials',
    { ...GOOD, acao: '*' },
    ['--credentials'],
    /Echo the request's origin.*Allow-Credentials: true/,
    GOOD,
  ],
  [
    'credentials-not-allowed',
    { ...GOOD, acac: 'TRUE' },
    ['--credentials'],
    /Send Access-Control-Allow-Credentials: true/,
    GOOD,
  ],
  [
    'credentials-not-allowed',
    { ...GOOD, acac: undefined },
    ['--credentials'],
    /Send Access-Control-Allow-Credentials: true/,
    GOOD,
  ],
  [
    'no-allow-origin',
    { ...GOOD, acao: 'none' },
    [],
    /Add http:\/\/127\.0\.0\.1:5173 to the server's allowed origins/,
    GOOD,
  ],
  [
    'preflight-status',
    { ...GOOD, authFirst: true },
    ['-X', 'PUT', '-H', 'Authorization: Bearer good'],
    /Answer OPTIONS before authentication/,
    GOOD,
  ],
  [
    'preflight-redirect',
    { ...GOOD, redirectOptions: true },
    ['-X', 'PUT'],
    /answer OPTIONS for this URL with 204/,
    GOOD,
  ],
  ['method-not-allowed', { ...GOOD, methods: 'GET' }, ['-X', 'PUT'], /Add PUT to the server's allowed methods/, GOOD],
  [
    'method-not-allowed',
    { ...GOOD, methods: 'get, put' },
    ['-X', 'PUT'],
    /Add PUT to the server's allowed methods/,
    GOOD,
  ],
  [
    'header-not-allowed',
    { ...GOOD, headers: 'Authorization' },
    ['-H', 'X-Tenant: a'],
    /Add x-tenant to the server's allowed request headers/,
    GOOD,
  ],
  ['preflight-header-invalid', { ...GOOD, methods: 'GET; PUT' }, ['-X', 'PUT'], /plain list/, GOOD],
  ['vary-origin-missing', { ...GOOD, vary: false }, [], /Append Origin to Vary/, GOOD],
  [
    'allow-origin-reflected',
    { ...GOOD, acao: 'reflect', acac: undefined },
    [],
    /Grant only the origins you list/,
    GOOD,
  ],
  [
    'authorization-wildcard',
    { ...GOOD, headers: '*' },
    ['-H', 'Authorization: Bearer x'],
    /List authorization by name/,
    GOOD,
  ],
];

describe('every printed fix, followed, makes the probe pass', () => {
  for (const [code, broken, args, fix, fixed] of CASES) {
    it(`${code}: ${JSON.stringify(broken)} ${args.join(' ')}`, async () => {
      const before = await probe(broken, args);
      const finding = before.findings.find((f) => f.code === code);
      assert.ok(finding, `expected ${code}, got ${JSON.stringify(before.findings.map((f) => f.code))}`);
      assert.match(finding.fix, fix);
      const after = await probe(fixed, args);
      assert.deepEqual(
        after.findings.map((f) => f.code),
        [],
        `after the fix: ${JSON.stringify(after.findings)}`,
      );
      assert.equal(after.verdict, 'allowed');
    });
  }
});

describe('WebSocket fixes, followed, make the probe pass', () => {
  async function wsProbe(allowed: readonly string[] | 'any'): Promise<DoctorJson> {
    const running = await wsServer(allowed);
    try {
      let stdout = '';
      await run(['doctor', `ws://127.0.0.1:${running.port}/`, '--origin', PAGE_ORIGIN, '--json'], {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
      });
      return JSON.parse(stdout) as DoctorJson;
    } finally {
      await running.close();
    }
  }

  it("ws-refused: adding the page origin to the WebSocket server's allowed origins opens it", async () => {
    const before = await wsProbe(['https://other.example']);
    assert.match(before.findings.find((f) => f.code === 'ws-refused')?.fix ?? '', /Add the page origin/);
    const after = await wsProbe([PAGE_ORIGIN]);
    assert.deepEqual(after.findings, []);
  });

  it('ws-origin-not-checked: checking Origin against an allow-list removes the warning', async () => {
    const before = await wsProbe('any');
    assert.match(before.findings.find((f) => f.code === 'ws-origin-not-checked')?.fix ?? '', /allow-list/);
    const after = await wsProbe([PAGE_ORIGIN]);
    assert.deepEqual(after.findings, []);
  });
});
