/**
 * reportOnly in withCorsSafety(), as in the Node adapter (test/events/report-only.test.ts): the
 * enforced policy alone answers (the same status, headers and body as without the option), the
 * candidate is evaluated for every request and preflight (its outcome is in each event, the same
 * candidate the Node middleware reports for the same request), its warning is logged once per
 * (origin, candidate reason), and an asynchronous candidate never delays the response.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { corsSafety, type CandidateDecision, type CorsDecisionEvent } from '../../src/index.js';
import { withCorsSafety, type CorsSafetyOptions } from '../../src/fetch/index.js';
import { listen } from '../helpers/listen.js';
import { collectWarnings } from '../helpers/warnings.js';

const warnings = collectWarnings();
const reportOnlyWarnings = (): Error[] =>
  warnings.filter((w) => (w as Error & { code?: string }).code === 'CORS_SAFETY_REPORT_ONLY');

const APP = 'https://app.example.com';
const OTHER = 'https://other.example.com';
const EVIL = 'https://evil.example';
const SERVER = 'https://api.example.com';

const ENFORCED: CorsSafetyOptions = { origin: [APP, OTHER], credentials: true, exposeReason: true, env: {} };
const CANDIDATE: CorsSafetyOptions = { origin: [APP], methods: ['GET'] };

/** Method, path and headers of each request of the table. */
const CASES: readonly [string, string, string, Record<string, string>][] = [
  ['allowed', 'GET', '/ok', { Origin: APP }],
  ['allowed now, denied by the candidate', 'GET', '/ok', { Origin: OTHER }],
  ['denied', 'GET', '/ok', { Origin: EVIL }],
  ['no origin', 'GET', '/ok', {}],
  ['same origin', 'POST', '/ok', { Origin: SERVER }],
  ['thrown error', 'GET', '/throw', { Origin: OTHER }],
  [
    'preflight the candidate refuses (method)',
    'OPTIONS',
    '/ok',
    { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
  ],
  ['preflight of a denied origin', 'OPTIONS', '/ok', { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' }],
];

function handlerFor(options: CorsSafetyOptions): (request: Request) => Promise<Response> {
  return withCorsSafety(options, (request: Request) => {
    if (new URL(request.url).pathname === '/throw') throw new Error('boom');
    return new Response('ok', { headers: { 'Content-Type': 'text/plain' } });
  });
}

async function snapshot(response: Response): Promise<unknown> {
  return { status: response.status, headers: [...response.headers], body: await response.text() };
}

function ask(method: string, path: string, headers: Record<string, string>): Request {
  return new Request(`${SERVER}${path}`, { method, headers });
}

describe('withCorsSafety() with reportOnly', () => {
  test('responses are the same as without the option; every event carries the candidate', async () => {
    const events: CorsDecisionEvent[] = [];
    const observed = handlerFor({ ...ENFORCED, reportOnly: CANDIDATE, onDecision: (event) => events.push(event) });
    const plain = handlerFor(ENFORCED);
    for (const [label, method, path, headers] of CASES) {
      const [withCandidate, without] = await Promise.all([
        observed(ask(method, path, headers)).then(snapshot),
        plain(ask(method, path, headers)).then(snapshot),
      ]);
      assert.deepEqual(withCandidate, without, label);
    }
    const candidates = events.map((event) => [event.transport, event.outcome, event.candidate]);
    const c = (outcome: CandidateDecision['outcome'], reason: string, rule: string | null = null) => ({
      outcome,
      reason,
      rule,
    });
    assert.deepEqual(candidates, [
      ['http', 'allowed', c('allowed', 'allowed-exact', APP)],
      ['http', 'allowed', c('denied', 'origin-not-allowed')],
      ['http', 'denied', c('denied', 'origin-not-allowed')],
      ['http', 'no-origin', c('no-origin', 'origin-missing')],
      ['http', 'same-origin', c('same-origin', 'same-origin')],
      ['http', 'allowed', c('denied', 'origin-not-allowed')],
      ['preflight', 'allowed', c('denied', 'method-not-allowed')],
      ['preflight', 'denied', c('denied', 'origin-not-allowed')],
    ]);
  });

  test('the candidate reported for a request is the one the Node middleware reports', async () => {
    const viaFetch: CorsDecisionEvent[] = [];
    const viaNode: CorsDecisionEvent[] = [];
    const handler = handlerFor({ ...ENFORCED, reportOnly: CANDIDATE, onDecision: (event) => viaFetch.push(event) });
    const cors = corsSafety({ ...ENFORCED, reportOnly: CANDIDATE, onDecision: (event) => viaNode.push(event) });
    const server = await listen(http.createServer((req, res) => cors(req, res, () => res.writeHead(200).end('ok'))));
    try {
      for (const [label, method, , headers] of CASES.filter(([label]) => label !== 'same origin')) {
        await handler(ask(method, '/ok', headers));
        await (await fetch(`${server.url}/ok`, { method, headers })).arrayBuffer();
        const pick = (event: CorsDecisionEvent | undefined) => [event?.transport, event?.outcome, event?.candidate];
        assert.deepEqual(pick(viaFetch.at(-1)), pick(viaNode.at(-1)), label);
      }
    } finally {
      await server.close();
    }
  });

  test('one warning per (origin, candidate reason), naming both outcomes', async () => {
    const origin = 'https://warned.example.com';
    const handler = handlerFor({ ...ENFORCED, origin: [APP, origin], reportOnly: CANDIDATE });
    const before = reportOnlyWarnings().length;
    for (let i = 0; i < 3; i++) await handler(ask('GET', '/ok', { Origin: origin }));
    // process.emitWarning() emits on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    const added = reportOnlyWarnings().slice(before);
    assert.equal(added.length, 1);
    assert.match(
      added[0]?.message ?? '',
      /http from https:\/\/warned\.example\.com is allowed \(allowed-exact\) and would be denied \(origin-not-allowed\)/,
    );
  });

  test('an asynchronous candidate is reported when it answers; the response never waits for it', async () => {
    const events: CorsDecisionEvent[] = [];
    let answer: ((allowed: boolean) => void) | undefined;
    const handler = handlerFor({
      ...ENFORCED,
      reportOnly: { origin: () => new Promise<boolean>((resolve) => (answer = resolve)) },
      onDecision: (event) => events.push(event),
    });
    const response = await handler(ask('GET', '/ok', { Origin: OTHER }));
    assert.equal(response.headers.get('access-control-allow-origin'), OTHER);
    assert.equal(events.length, 0, 'the event waits for the candidate');
    assert.ok(answer !== undefined, 'the candidate was asked');
    answer(false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      events.map((event) => event.candidate?.outcome),
      ['denied'],
    );
  });
});
