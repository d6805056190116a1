/**
 * reportOnly: the enforced policy alone answers, byte for byte as without the option, over real
 * Express 5, node:http, ws (upgradeGuard and createVerifyClient) and socket.io; the candidate is
 * evaluated for every request, preflight and handshake (its outcome is in each event); its warning
 * is logged once per (origin, candidate reason), and a flood of 100,000 distinct origins keeps the
 * log and the memory bounded. Plus the configuration errors of the two options.
 */
import assert from 'node:assert/strict';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, test } from 'node:test';
import {
  CorsConfigError,
  corsSafety,
  createCorsPolicy,
  createVerifyClient,
  type CorsDecisionEvent,
  type CorsSafetyOptions,
} from '../../src/index.js';
import { listen, stacks } from '../helpers/frameworks.js';
import { rawSocket } from '../helpers/middleware-http.js';
import { startSocketIo } from '../helpers/socketio.js';
import { rawUpgrade, startGuard, startWs, waitFor } from '../helpers/upgrade-harness.js';
import { scaled } from '../helpers/time.js';
import { collectWarnings } from '../helpers/warnings.js';

const APP = 'https://app.example.com';
const OTHER = 'https://other.example.com';
const EVIL = 'https://evil.example';
const warnings = collectWarnings();
const reportOnlyWarnings = (): Error[] =>
  warnings.filter((w) => (w as Error & { code?: string }).code === 'CORS_SAFETY_REPORT_ONLY');

/** Enforced: two origins, credentials. Candidate: one origin, GET only. */
const ENFORCED: CorsSafetyOptions = {
  origin: [APP, 'https://*.example.com'],
  allowedHosts: ['127.0.0.1:*'],
  credentials: true,
  env: {},
};
const CANDIDATE: CorsSafetyOptions = { origin: [APP], methods: ['GET'], allowedHosts: ['127.0.0.1:*'] };

function withReportOnly(events: CorsDecisionEvent[]): CorsSafetyOptions {
  return { ...ENFORCED, reportOnly: CANDIDATE, onDecision: (event) => events.push(event) };
}

/** A raw response without its Date line (the only part that may differ between two servers). */
function withoutDate(response: string): string {
  return response.replace(/^Date: [^\r\n]*\r\n/im, '');
}

/** Raw requests (the port of each server goes where `{host}` is). */
const HTTP_CASES: readonly [string, string][] = [
  ['allowed', `GET /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: ${APP}\r\nCookie: a=b\r\nConnection: close\r\n\r\n`],
  [
    'allowed now, denied by the candidate',
    `GET /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: ${OTHER}\r\nConnection: close\r\n\r\n`,
  ],
  ['denied', `GET /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: ${EVIL}\r\nConnection: close\r\n\r\n`],
  ['no origin', 'GET /ok HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n'],
  [
    'malformed origin',
    'GET /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: https://a.example.com/x\r\nConnection: close\r\n\r\n',
  ],
  [
    'preflight the candidate refuses (method)',
    `OPTIONS /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n`,
  ],
  [
    'preflight of a denied origin',
    `OPTIONS /ok HTTP/1.1\r\nHost: {host}\r\nOrigin: ${EVIL}\r\nAccess-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n`,
  ],
  ['error response', `GET /next-error HTTP/1.1\r\nHost: {host}\r\nOrigin: ${OTHER}\r\nConnection: close\r\n\r\n`],
];

for (const stack of [stacks[0]!, stacks[3]!]) {
  test(`${stack.name}: responses with reportOnly are byte-identical to those without`, async () => {
    const events: CorsDecisionEvent[] = [];
    const plain = await stack.start(ENFORCED);
    const observed = await stack.start(withReportOnly(events));
    try {
      for (const [name, request] of HTTP_CASES) {
        const host = (url: string): string => request.replaceAll('{host}', new URL(url).host);
        const without = await rawSocket(plain.url, host(plain.url));
        const withCandidate = await rawSocket(observed.url, host(observed.url));
        assert.ok(without.startsWith('HTTP/1.1 '), `${name}: ${without}`);
        assert.equal(withoutDate(withCandidate), withoutDate(without), name);
      }
    } finally {
      await plain.close();
      await observed.close();
    }
    // The candidate was evaluated for each of them.
    assert.equal(events.length, HTTP_CASES.length, JSON.stringify(events));
    assert.ok(events.every((e) => e.candidate !== null));
    const byOrigin = (origin: string, transport: string): CorsDecisionEvent | undefined =>
      events.find((e) => e.origin === origin && e.transport === transport);
    assert.deepEqual(byOrigin(OTHER, 'http')?.candidate, {
      outcome: 'denied',
      reason: 'origin-not-allowed',
      rule: null,
    });
    assert.deepEqual(byOrigin(APP, 'preflight')?.candidate, {
      outcome: 'denied',
      reason: 'method-not-allowed',
      rule: null,
    });
    assert.equal(byOrigin(APP, 'preflight')?.outcome, 'allowed');
  });
}

/** Upgrade requests: `{host}` is the server's own authority. */
const UPGRADE_CASES: readonly [string, string[]][] = [
  ['allowed', ['Host: {host}', `Origin: ${APP}`]],
  ['allowed now, refused by the candidate', ['Host: {host}', `Origin: ${OTHER}`]],
  ['refused', ['Host: {host}', `Origin: ${EVIL}`]],
  ['same origin', ['Host: {host}', 'Origin: http://{host}']],
  ['no Host', [`Origin: ${APP}`]],
];

async function compareUpgrades(plainPort: number, observedPort: number): Promise<void> {
  for (const [name, lines] of UPGRADE_CASES) {
    const fill = (port: number): string[] => lines.map((line) => line.replaceAll('{host}', `127.0.0.1:${port}`));
    const without = await rawUpgrade(plainPort, fill(plainPort));
    const withCandidate = await rawUpgrade(observedPort, fill(observedPort));
    assert.notEqual(without.status, undefined, name);
    assert.equal(withoutDate(withCandidate.head), withoutDate(without.head), name);
    assert.equal(withCandidate.body, without.body, name);
  }
}

describe('reportOnly on WebSocket and socket.io handshakes', () => {
  test('upgradeGuard: identical answers, the candidate in every event', async (t) => {
    const events: CorsDecisionEvent[] = [];
    const plain = await startGuard(t, ENFORCED);
    const observed = await startGuard(t, withReportOnly(events));
    await compareUpgrades(plain.port, observed.port);
    await waitFor(
      () => events.length === UPGRADE_CASES.length,
      scaled(3000),
      () => JSON.stringify(events),
    );
    assert.ok(events.every((e) => e.transport === 'websocket' && e.candidate !== null));
    const other = events.find((e) => e.origin === OTHER);
    assert.deepEqual([other?.outcome, other?.candidate?.outcome], ['allowed', 'denied']);
  });

  test('createVerifyClient: identical answers, the candidate in every event', async (t) => {
    const events: CorsDecisionEvent[] = [];
    const plain = await startWs(t, 'server', { verifyClient: createVerifyClient(ENFORCED) });
    const observed = await startWs(t, 'server', { verifyClient: createVerifyClient(withReportOnly(events)) });
    await compareUpgrades(plain.port, observed.port);
    assert.equal(events.length, UPGRADE_CASES.length);
    assert.ok(events.every((e) => e.candidate !== null));
  });

  test('createAllowRequest: identical polling handshake answers (session id aside)', async (t) => {
    const events: CorsDecisionEvent[] = [];
    const plain = await startSocketIo(t, createCorsPolicy(ENFORCED));
    const observed = await startSocketIo(t, createCorsPolicy(withReportOnly(events)));
    for (const origin of [APP, OTHER, EVIL]) {
      const request = (url: string): string =>
        `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: ${new URL(url).host}\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`;
      const normalise = (raw: string): string => withoutDate(raw).replace(/"sid":"[^"]+"/, '"sid":"-"');
      const without = await rawSocket(plain.url, request(plain.url));
      const withCandidate = await rawSocket(observed.url, request(observed.url));
      assert.equal(normalise(withCandidate), normalise(without), origin);
    }
    const handshakes = events.filter((e) => e.transport === 'socketio');
    assert.deepEqual(
      handshakes.map((e) => [e.origin, e.outcome, e.candidate?.outcome]),
      [
        [APP, 'allowed', 'allowed'],
        [OTHER, 'allowed', 'denied'],
        [EVIL, 'denied', 'denied'],
      ],
    );
  });
});

describe('the reportOnly log and the candidate', () => {
  /** One request through the middleware, with real node:http objects and no socket traffic. */
  function send(middleware: ReturnType<typeof corsSafety>, origin: string): ServerResponse {
    const req = new IncomingMessage(new Socket());
    Object.assign(req, { method: 'GET', url: '/', headers: { origin } });
    const res = new ServerResponse(req);
    middleware(req, res, () => {});
    return res;
  }

  /** process.emitWarning() emits on the next tick. */
  const nextTicks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  test('one warning per (origin, candidate reason), only where the candidate decides otherwise', async () => {
    const before = reportOnlyWarnings().length;
    const middleware = corsSafety({ origin: true, env: {}, reportOnly: { origin: APP } });
    for (let i = 0; i < 3; i++) {
      send(middleware, 'https://once.example');
      send(middleware, APP);
    }
    await nextTicks();
    const logged = reportOnlyWarnings().slice(before);
    assert.equal(logged.length, 1, logged.map((w) => w.message).join('\n'));
    assert.match(
      logged[0]!.message,
      /http from https:\/\/once\.example is allowed \(allowed-any\) and would be denied \(origin-not-allowed\)/,
    );
  });

  test('a flood of 100,000 distinct origins: 1,000 lines, then one, and bounded memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = reportOnlyWarnings().length;
    let allowed = 0;
    const middleware = corsSafety({
      origin: true,
      env: {},
      reportOnly: { origin: APP },
      onDecision: (event) => {
        if (event.outcome === 'allowed' && event.candidate?.outcome === 'denied') allowed++;
      },
    });
    // Host labels stay within 63 characters (RFC 1035 §2.3.4), or the origin would be malformed.
    const long = ['a', 'b', 'c'].map((letter) => letter.repeat(60)).join('.');
    const origin = (i: number): string => `https://${i}.${long}.example.com`;
    for (let i = 0; i < 2000; i++) send(middleware, origin(i));
    gc();
    const heapAfterCap = process.memoryUsage().heapUsed;
    for (let i = 2000; i < 100_000; i++) send(middleware, origin(i));
    gc();
    await nextTicks();
    // The enforced policy decided every one (reflect-any grants them), the candidate denied each.
    assert.equal(allowed, 100_000);
    const growth = process.memoryUsage().heapUsed - heapAfterCap;
    const logged = reportOnlyWarnings().slice(before);
    assert.equal(logged.length, 1001);
    assert.match(logged[1000]!.message, /1000 distinct origins .* further ones are not logged/);
    // 98,000 more keys of ~230 characters would hold over 20 MB if they were kept.
    assert.ok(growth < 4 * 1024 * 1024, `heap grew by ${growth} bytes after the cap`);
  });

  test('an asynchronous candidate is reported later and never delays the response', async () => {
    const events: CorsDecisionEvent[] = [];
    let release: (answer: boolean) => void = () => {};
    const candidateAnswer = new Promise<boolean>((resolve) => (release = resolve));
    const cors = corsSafety({
      origin: APP,
      env: {},
      onDecision: (event) => events.push(event),
      reportOnly: { origin: () => candidateAnswer },
    });
    const running = await listen(http.createServer((req, res) => cors(req, res, () => res.end('ok'))));
    try {
      const reply = await fetch(`${running.url}/`, { headers: { origin: APP } });
      assert.equal(reply.headers.get('access-control-allow-origin'), APP);
      assert.equal(events.length, 0);
      release(false);
      await waitFor(
        () => events.length === 1,
        scaled(3000),
        () => 'no event',
      );
      assert.deepEqual(events[0]?.candidate, { outcome: 'denied', reason: 'origin-not-allowed', rule: null });
    } finally {
      await running.close();
    }
  });

  test('configuration errors name the fix', () => {
    const codes = (options: unknown): string[] => {
      try {
        createCorsPolicy(options as CorsSafetyOptions);
      } catch (err) {
        assert.ok(err instanceof CorsConfigError);
        return err.issues.map((issue) => `${issue.path} ${issue.code}`);
      }
      return [];
    };
    assert.deepEqual(codes({ origin: APP, onDecision: 'log' }), ['onDecision on-decision-type']);
    assert.deepEqual(codes({ origin: APP, reportOnly: 'strict' }), ['reportOnly report-only-type']);
    assert.deepEqual(codes({ origin: APP, reportOnly: {} }), ['reportOnly report-only-no-rules']);
    assert.deepEqual(codes({ origin: APP, reportOnly: { origin: APP, onDecision: () => {} } }), [
      'reportOnly.onDecision report-only-nested',
    ]);
    const nested = createCorsPolicy({ origin: APP, reportOnly: { origin: APP } });
    assert.deepEqual(codes({ origin: APP, reportOnly: nested }), ['reportOnly report-only-nested']);
    assert.deepEqual(codes({ origin: APP, reportOnly: { origin: APP, maxAge: -1 } }), [
      'reportOnly.maxAge out-of-range',
    ]);
    // A policy as the candidate is used as it is, and shown on the enforced policy.
    const candidate = createCorsPolicy({ origin: APP });
    assert.equal(createCorsPolicy({ origin: true, reportOnly: candidate }).reportOnly, candidate);
  });
});
