/**
 * The origin-lookup metrics recipes of docs/production.md: a real `originLookup` that asks a
 * tenant directory over real HTTP (node:http), behind `corsSafety()` on a real node:http server,
 * counted with a real prom-client registry and an OpenTelemetry in-memory reader. Each decision
 * that consulted the lookup carries `lookup: { cache, durationMs }`: a miss, a hit, two requests
 * sharing one call in flight, and a failing call; decisions a rule made carry no `lookup`.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import { test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { corsSafety, createCorsPolicy, DECISION_CHANNEL, type CorsDecisionEvent } from '../../src/index.js';
import { listen } from '../helpers/listen.js';
import { call } from '../helpers/middleware-http.js';
import { scaled } from '../helpers/time.js';
import { startGuard, wsOutcome } from '../helpers/upgrade-harness.js';

const APP = 'https://app.example.com';
const SHOP = 'https://shop.customer.com';
const SLOW = 'https://slow.customer.com';
const UNKNOWN = 'https://unknown.example';
const BROKEN = 'https://broken.customer.com';

/**
 * A tenant directory (answers `{ allowed }`, 500 for BROKEN) and an app whose policy asks it for
 * origins not in `origin`. The directory holds its answer for SLOW until three requests for SLOW
 * reached the app, so two of them join the first one's call. Sends the traffic; returns the
 * number of calls the directory received.
 */
async function lookupTraffic(onDecision?: (event: CorsDecisionEvent) => void): Promise<number> {
  let slowArrived = 0;
  let releaseSlow: () => void = () => undefined;
  const threeSlow = new Promise<void>((resolve) => (releaseSlow = resolve));
  let calls = 0;
  const directory = await listen(
    http.createServer((req, res) => {
      calls++;
      const origin = new URL(req.url ?? '/', 'http://directory').searchParams.get('origin');
      const answer = (): void => {
        res.statusCode = origin === BROKEN ? 500 : 200;
        res.end(JSON.stringify({ allowed: origin === SHOP || origin === SLOW }));
      };
      if (origin === SLOW) void threeSlow.then(answer);
      else answer();
    }),
  );
  const cors = corsSafety({
    origin: [APP],
    env: {},
    ...(onDecision === undefined ? {} : { onDecision }),
    originLookup: {
      lookup: async (origin) => {
        const reply = await fetch(`${directory.url}/tenants?origin=${encodeURIComponent(origin)}`);
        if (!reply.ok) throw new Error(`directory answered ${reply.status}`);
        return ((await reply.json()) as { allowed: boolean }).allowed;
      },
      timeout: Math.min(60_000, scaled(10_000)),
    },
  });
  const server = http.createServer((req, res) => cors(req, res, () => res.end('ok')));
  server.on('request', (req: http.IncomingMessage) => {
    if (req.headers.origin === SLOW && ++slowArrived === 3) releaseSlow();
  });
  const app = await listen(server);
  try {
    for (const origin of [APP, SHOP, SHOP, UNKNOWN, UNKNOWN, BROKEN]) await call(`${app.url}/api`, { origin });
    const slow = await Promise.all([1, 2, 3].map(() => call(`${app.url}/api`, { origin: SLOW })));
    assert.deepEqual(
      slow.map((reply) => reply.headers.get('access-control-allow-origin')),
      [SLOW, SLOW, SLOW],
    );
  } finally {
    await app.close();
    await directory.close();
  }
  return calls;
}

test('events say how the lookup was used, only when it was consulted', async () => {
  const events: CorsDecisionEvent[] = [];
  const calls = await lookupTraffic((event) => events.push(event));
  assert.equal(calls, 4, 'one call per origin: hits and shared requests call nothing');
  const seen = events.map((e) => [e.origin, e.reason, e.lookup?.cache ?? 'absent', typeof e.lookup?.durationMs]);
  assert.deepEqual(seen.slice(0, 6), [
    [APP, 'allowed-exact', 'absent', 'undefined'],
    [SHOP, 'allowed-lookup', 'miss', 'number'],
    [SHOP, 'allowed-lookup', 'hit', 'object'],
    [UNKNOWN, 'origin-not-allowed', 'miss', 'number'],
    [UNKNOWN, 'origin-not-allowed', 'hit', 'object'],
    [BROKEN, 'origin-check-failed', 'failed', 'number'],
  ]);
  assert.equal(Object.hasOwn(events[0]!, 'lookup'), false);
  const slow = events.slice(6).map((e) => e.lookup?.cache);
  assert.deepEqual(slow.sort(), ['miss', 'shared', 'shared']);
  for (const event of events)
    if (typeof event.lookup?.durationMs === 'number') assert.ok(event.lookup.durationMs > 0, JSON.stringify(event));
});

test('prom-client: a histogram of lookup latency and a counter of cache results', async () => {
  const registry = new client.Registry();
  const lookupSeconds = new client.Histogram({
    name: 'cors_origin_lookup_duration_seconds',
    help: 'Duration of originLookup calls',
    labelNames: ['result'],
    buckets: [0.005, 0.025, 0.1, 0.5, 2],
    registers: [registry],
  });
  const lookupCache = new client.Counter({
    name: 'cors_origin_lookup_cache_total',
    help: 'Decisions that consulted originLookup, by cache result',
    labelNames: ['cache'],
    registers: [registry],
  });
  const onMessage = (message: unknown): void => {
    const { lookup } = message as CorsDecisionEvent;
    if (lookup === undefined) return;
    lookupCache.inc({ cache: lookup.cache });
    if (lookup.durationMs !== null) lookupSeconds.observe({ result: lookup.cache }, lookup.durationMs / 1000);
  };
  subscribe(DECISION_CHANNEL, onMessage);
  try {
    await lookupTraffic();
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  const json = await registry.getMetricsAsJSON();
  const cache = json.find((m) => m.name === 'cors_origin_lookup_cache_total')!.values;
  assert.deepEqual(Object.fromEntries(cache.map((v) => [v.labels.cache, v.value])), {
    miss: 3,
    hit: 2,
    failed: 1,
    shared: 2,
  });
  // prom-client's JSON names each histogram value's series (_bucket, _count, _sum); its types do not say so.
  const histogram = json.find((m) => m.name === 'cors_origin_lookup_duration_seconds')!
    .values as (client.MetricValue<string> & {
    metricName?: string;
  })[];
  const counts = histogram.filter((v) => v.metricName === 'cors_origin_lookup_duration_seconds_count');
  assert.deepEqual(Object.fromEntries(counts.map((v) => [v.labels.result, v.value])), { miss: 3, failed: 1 });
  const sum = histogram.find((v) => v.metricName === 'cors_origin_lookup_duration_seconds_sum')!;
  assert.ok(sum.value > 0);
  assert.ok(!(await registry.metrics()).includes('customer.com'));
});

test('OpenTelemetry: the same histogram and counter through the metrics API', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  const meter = metrics.getMeter('cors-safety');
  const duration = meter.createHistogram('cors.origin_lookup.duration', { unit: 's' });
  const cache = meter.createCounter('cors.origin_lookup.cache');
  const onMessage = (message: unknown): void => {
    const { lookup } = message as CorsDecisionEvent;
    if (lookup === undefined) return;
    cache.add(1, { cache: lookup.cache });
    if (lookup.durationMs !== null) duration.record(lookup.durationMs / 1000, { result: lookup.cache });
  };
  subscribe(DECISION_CHANNEL, onMessage);
  try {
    await lookupTraffic();
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  await reader.forceFlush();
  const found = exporter.getMetrics()[0]!.scopeMetrics[0]!.metrics;
  const counter = found.find((m) => m.descriptor.name === 'cors.origin_lookup.cache')!;
  assert.deepEqual(Object.fromEntries(counter.dataPoints.map((p) => [p.attributes.cache, p.value])), {
    miss: 3,
    hit: 2,
    failed: 1,
    shared: 2,
  });
  const histogram = found.find((m) => m.descriptor.name === 'cors.origin_lookup.duration') as HistogramMetricData;
  assert.deepEqual(Object.fromEntries(histogram.dataPoints.map((p) => [p.attributes.result, p.value.count])), {
    miss: 3,
    failed: 1,
  });
  await provider.shutdown();
  metrics.disable();
});

test('WebSocket handshakes carry the lookup result too', async (t) => {
  const events: CorsDecisionEvent[] = [];
  const policy = createCorsPolicy({
    origin: [APP],
    env: {},
    onDecision: (event) => events.push(event),
    originLookup: { lookup: (origin) => Promise.resolve(origin === SHOP) },
  });
  const guard = await startGuard(t, policy);
  assert.equal((await wsOutcome(guard.url, { origin: SHOP })).kind, 'open');
  assert.equal((await wsOutcome(guard.url, { origin: SHOP })).kind, 'open');
  assert.equal((await wsOutcome(guard.url, { origin: UNKNOWN })).kind, 'refused');
  assert.equal((await wsOutcome(guard.url, { origin: APP })).kind, 'open');
  assert.deepEqual(
    events.map((e) => [e.transport, e.outcome, e.lookup?.cache ?? 'absent']),
    [
      ['websocket', 'allowed', 'miss'],
      ['websocket', 'allowed', 'hit'],
      ['websocket', 'denied', 'miss'],
      ['websocket', 'allowed', 'absent'],
    ],
  );
});
