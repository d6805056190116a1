/**
 * The metrics recipes of docs/production.md with a real prom-client registry and a real
 * OpenTelemetry SDK in-memory reader, fed by real Express 5 requests and ws handshakes through the
 * `cors-safety:decision` channel: counts per transport, outcome, reason and rule, and a bounded
 * number of series however many distinct origins arrive (origins are never labels).
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test, type TestContext } from 'node:test';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { createCorsPolicy, DECISION_CHANNEL, type CorsDecisionEvent } from '../../src/index.js';
import { stacks } from '../helpers/frameworks.js';
import { call } from '../helpers/middleware-http.js';
import { startGuard, wsOutcome } from '../helpers/upgrade-harness.js';

const APP = 'https://app.example.com';
const policy = createCorsPolicy({ origin: [APP, 'https://*.preview.example.com'], env: {} });

/** The labels of the recipe: each value from a reason code or the configuration. */
function labels(event: CorsDecisionEvent): Record<string, string> {
  return { transport: event.transport, outcome: event.outcome, reason: event.reason, rule: event.rule ?? 'none' };
}

/** 1 allowed + 1 pattern + 50 distinct denied origins over HTTP, 1 allowed + 20 denied handshakes. */
async function traffic(t: TestContext): Promise<void> {
  const running = await stacks[0]!.start(policy);
  try {
    await call(`${running.url}/ok`, { origin: APP });
    await call(`${running.url}/ok`, { origin: 'https://pr-9.preview.example.com' });
    for (let i = 0; i < 50; i++) await call(`${running.url}/ok`, { origin: `https://scan-${i}.evil.example` });
  } finally {
    await running.close();
  }
  const guard = await startGuard(t, policy);
  assert.equal((await wsOutcome(guard.url, { origin: APP })).kind, 'open');
  for (let i = 0; i < 20; i++) await wsOutcome(guard.url, { origin: `https://ws-${i}.evil.example` });
}

test('prom-client: one series per (transport, outcome, reason, rule), whatever the origins', async (t) => {
  const registry = new client.Registry();
  const decisions = new client.Counter({
    name: 'cors_decisions_total',
    help: 'CORS and WebSocket origin decisions',
    labelNames: ['transport', 'outcome', 'reason', 'rule'],
    registers: [registry],
  });
  const onMessage = (message: unknown): void => decisions.inc(labels(message as CorsDecisionEvent));
  subscribe(DECISION_CHANNEL, onMessage);
  try {
    await traffic(t);
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  const series = (await registry.getMetricsAsJSON())[0]!.values.map((v) => [
    v.labels.transport,
    v.labels.outcome,
    v.labels.reason,
    v.labels.rule,
    v.value,
  ]);
  assert.deepEqual(series, [
    ['http', 'allowed', 'allowed-exact', APP, 1],
    ['http', 'allowed', 'allowed-pattern', 'https://*.preview.example.com', 1],
    ['http', 'denied', 'origin-not-allowed', 'none', 50],
    ['websocket', 'allowed', 'allowed-exact', APP, 1],
    ['websocket', 'denied', 'origin-not-allowed', 'none', 20],
  ]);
  assert.ok(!(await registry.metrics()).includes('evil.example'));
});

test('OpenTelemetry: the same counts through the metrics API and an in-memory reader', async (t) => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  const meter = metrics.getMeter('cors-safety');
  const decisions = meter.createCounter('cors.decisions');
  const onMessage = (message: unknown): void => decisions.add(1, labels(message as CorsDecisionEvent));
  subscribe(DECISION_CHANNEL, onMessage);
  try {
    await traffic(t);
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  await reader.forceFlush();
  const points = exporter.getMetrics()[0]!.scopeMetrics[0]!.metrics[0]!.dataPoints;
  const counted = points.map((p) => [p.attributes.transport, p.attributes.outcome, p.attributes.rule, p.value]);
  assert.deepEqual(counted, [
    ['http', 'allowed', APP, 1],
    ['http', 'allowed', 'https://*.preview.example.com', 1],
    ['http', 'denied', 'none', 50],
    ['websocket', 'allowed', APP, 1],
    ['websocket', 'denied', 'none', 20],
  ]);
  await provider.shutdown();
  metrics.disable();
});
