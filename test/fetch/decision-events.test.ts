/**
 * Decision events from withCorsSafety() under Node's own Request/Response: one event per decision
 * with the fields of the Node adapters (transport, outcome, reason, origin, rule, policyVersion,
 * method, path without query), through `onDecision` and, once the Node entry installed it, the
 * `cors-safety:decision` channel; a throwing or rejecting listener never changes a response; and
 * the fetch entry alone (no Node platform) still calls `onDecision` and publishes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { createLivePolicy, DECISION_CHANNEL, type CorsDecisionEvent } from '../../src/index.js';
import { createCorsPolicy, withCorsSafety } from '../../src/fetch/index.js';
import { collectWarnings } from '../helpers/warnings.js';

const warnings = collectWarnings();
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const SERVER = 'https://api.example.com';

function request(path: string, init: { method?: string; origin?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { Cookie: 'session=s3cret', Authorization: 'Bearer t0ken', ...init.headers };
  if (init.origin !== undefined) headers.Origin = init.origin;
  return new Request(`${SERVER}${path}`, { method: init.method ?? 'GET', headers });
}

function preflight(origin: string, method: string): Request {
  return request('/api/items?x=1', {
    method: 'OPTIONS',
    origin,
    headers: { 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' },
  });
}

/** What an event says, without its frozen identity. */
function fields(event: CorsDecisionEvent): Record<string, unknown> {
  return { ...event };
}

test('one event per decision, with the fields the Node adapters report', async () => {
  const events: CorsDecisionEvent[] = [];
  const handler = withCorsSafety(
    createCorsPolicy({ origin: APP, methods: ['GET', 'POST'], env: {}, onDecision: (event) => events.push(event) }),
    () => new Response('ok'),
  );
  await handler(request('/api/items?token=abc#frag', { origin: APP }));
  await handler(request('/api/items', { origin: EVIL }));
  await handler(request('/api/items'));
  await handler(request('/api/items', { method: 'POST', origin: SERVER }));
  assert.equal((await handler(preflight(APP, 'POST'))).status, 204);
  // A refused method is answered with the configured list, which the browser then refuses; a refused origin gets 403.
  assert.equal((await handler(preflight(APP, 'DELETE'))).headers.get('access-control-allow-methods'), 'GET, POST');
  assert.equal((await handler(preflight(EVIL, 'GET'))).status, 403);
  const base = { policyVersion: 0, candidate: null, path: '/api/items' };
  assert.deepEqual(events.map(fields), [
    { ...base, transport: 'http', outcome: 'allowed', reason: 'allowed-exact', origin: APP, rule: APP, method: 'GET' },
    {
      ...base,
      transport: 'http',
      outcome: 'denied',
      reason: 'origin-not-allowed',
      origin: EVIL,
      rule: null,
      method: 'GET',
    },
    {
      ...base,
      transport: 'http',
      outcome: 'no-origin',
      reason: 'origin-missing',
      origin: null,
      rule: null,
      method: 'GET',
    },
    {
      ...base,
      transport: 'http',
      outcome: 'same-origin',
      reason: 'same-origin',
      origin: SERVER,
      rule: null,
      method: 'POST',
    },
    {
      ...base,
      transport: 'preflight',
      outcome: 'allowed',
      reason: 'allowed-exact',
      origin: APP,
      rule: APP,
      method: 'OPTIONS',
    },
    {
      ...base,
      transport: 'preflight',
      outcome: 'denied',
      reason: 'method-not-allowed',
      origin: APP,
      rule: null,
      method: 'OPTIONS',
    },
    {
      ...base,
      transport: 'preflight',
      outcome: 'denied',
      reason: 'origin-not-allowed',
      origin: EVIL,
      rule: null,
      method: 'OPTIONS',
    },
  ]);
  assert.ok(events.every((event) => Object.isFrozen(event)));
  const text = JSON.stringify(events);
  for (const secret of ['s3cret', 't0ken', 'token=abc', 'frag']) assert.ok(!text.includes(secret), secret);
});

test('the cors-safety:decision channel carries the same event once the Node entry is loaded', async () => {
  const published: unknown[] = [];
  const listened: CorsDecisionEvent[] = [];
  const onMessage = (message: unknown): void => {
    published.push(message);
  };
  const live = createLivePolicy({ origin: APP, env: {}, onDecision: (event) => listened.push(event) });
  await live.reconfigure({ origin: [APP, 'https://admin.example.com'], env: {}, onDecision: (e) => listened.push(e) });
  const handler = withCorsSafety(live, () => new Response('ok'));
  subscribe(DECISION_CHANNEL, onMessage);
  try {
    await handler(request('/a', { origin: 'https://admin.example.com' }));
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  await handler(request('/b', { origin: APP }));
  assert.equal(published.length, 1);
  assert.equal(published[0], listened[0]);
  assert.equal(listened.length, 2);
  assert.equal(listened[0]!.rule, 'https://admin.example.com');
  assert.ok(listened[0]!.policyVersion >= 1, String(listened[0]!.policyVersion));
});

test('a throwing or rejecting onDecision never changes the response', async () => {
  for (const onDecision of [
    (): never => {
      throw new Error('metrics down');
    },
    (): Promise<never> => Promise.reject(new Error('metrics down')),
  ]) {
    const handler = withCorsSafety(
      createCorsPolicy({ origin: APP, env: {}, onDecision }),
      () => new Response('ok', { headers: { 'X-Kind': 'handler' } }),
    );
    const allowed = await handler(request('/x', { origin: APP }));
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), 'ok');
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP);
    const denied = await handler(request('/x', { origin: EVIL }));
    assert.equal(denied.status, 200);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    assert.equal((await handler(preflight(APP, 'GET'))).status, 204);
  }
  await new Promise((resolve) => setImmediate(resolve));
  const codes = warnings.map((w) => (w as Error & { code?: string }).code);
  assert.ok(codes.includes('CORS_SAFETY_ON_DECISION_THREW'), codes.join());
});

test('the fetch entry alone: onDecision is called, nothing is published on the channel', async () => {
  const entry = fileURLToPath(new URL('../../src/fetch/index.ts', import.meta.url));
  const script = `
    const { subscribe } = await import('node:diagnostics_channel');
    const { withCorsSafety } = await import(${JSON.stringify(entry)});
    let published = 0;
    subscribe('cors-safety:decision', () => { published++; });
    const seen = [];
    const handler = withCorsSafety({ origin: '${APP}', env: {}, onDecision: (e) => seen.push(e.outcome) }, () => new Response('ok'));
    await handler(new Request('${SERVER}/x', { headers: { Origin: '${APP}' } }));
    console.log(JSON.stringify({ seen, published }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ]);
  assert.deepEqual(JSON.parse(stdout.trim()), { seen: ['allowed'], published: 0 });
});
