/**
 * A live policy behind real Express 4, Express 5 and node:http servers: update() and
 * reconfigure() take effect on the next request, and a request in flight across a change is
 * answered entirely by the version it started under (its grant re-applied at writeHead, its
 * error answer, its preflight answer), with that version in the reason header.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import {
  corsErrorHandler,
  corsSafety,
  createLivePolicy,
  REASON_HEADER,
  type CorsSafetyOptions,
  type LivePolicy,
} from '../../src/index.js';
import { FLAVORS, get, withServer } from '../helpers/error-handler-servers.js';
import { scaled } from '../helpers/time.js';

const APP = 'https://app.example.com';
const SHOP = 'https://shop.customer.net';
const T = { timeout: scaled(20_000) };

/** A latch the test opens: handlers wait on it so a change can land while they are in flight. */
function latch(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Resolves once `count` requests have reached their handler. */
function arrivals(): { arrived: () => void; reached: (count: number) => Promise<void> } {
  let seen = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    arrived: () => {
      seen += 1;
      for (const w of waiters.filter((w) => w.count <= seen)) w.resolve();
    },
    reached: (count) => new Promise((resolve) => (seen >= count ? resolve() : waiters.push({ count, resolve }))),
  };
}

const base: CorsSafetyOptions = { origin: APP, methods: ['GET', 'PUT'], exposeReason: true, env: {} };

type Stack = {
  name: string;
  app: (policy: LivePolicy, gate: Promise<void>, arrived: () => void) => http.RequestListener;
};

const STACKS: Stack[] = [
  ...FLAVORS.map((flavor): Stack => ({
    name: flavor.name,
    app: (policy, gate, arrived) => {
      const app = flavor.create();
      app.use(corsSafety(policy));
      app.get('/data', (_req, res) => void res.end('data'));
      app.get('/slow', (_req, res) => {
        arrived();
        void gate.then(() => res.end('slow'));
      });
      app.get('/slow-error', (_req, _res, next) => {
        arrived();
        void gate.then(() => next(Object.assign(new Error('gone'), { status: 410, expose: true })));
      });
      app.use(corsErrorHandler(policy));
      return app;
    },
  })),
  {
    name: 'node:http',
    app: (policy, gate, arrived) => {
      const cors = corsSafety(policy);
      return (req, res) =>
        cors(req, res, () => {
          if (req.url === '/data') return void res.end('data');
          arrived();
          void gate.then(() => res.end('slow'));
        });
    },
  },
];

for (const stack of STACKS) {
  describe(`${stack.name}: a live policy`, () => {
    it('update() and reconfigure() take effect on the next request', T, async () => {
      const policy = createLivePolicy(base);
      await withServer(
        stack.app(policy, Promise.resolve(), () => {}),
        async (url) => {
          const before = await get(`${url}/data`, { headers: { origin: SHOP } });
          assert.equal(before.headers.get('access-control-allow-origin'), null);
          assert.equal(before.headers.get(REASON_HEADER), 'origin-not-allowed; policy-version=1');
          policy.update({ add: [SHOP] });
          const added = await get(`${url}/data`, { headers: { origin: SHOP } });
          assert.equal(added.headers.get('access-control-allow-origin'), SHOP);
          const preflight = await get(`${url}/data`, {
            method: 'OPTIONS',
            headers: { origin: SHOP, 'access-control-request-method': 'PUT' },
          });
          assert.equal(preflight.status, 204);
          assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, PUT');
          await policy.reconfigure({ ...base, methods: 'GET' });
          const refused = await get(`${url}/data`, {
            method: 'OPTIONS',
            headers: { origin: SHOP, 'access-control-request-method': 'PUT' },
          });
          assert.equal(refused.headers.get(REASON_HEADER), 'method-not-allowed; policy-version=3');
          policy.update({ remove: [SHOP] });
          const removed = await get(`${url}/data`, { headers: { origin: SHOP } });
          assert.equal(removed.headers.get('access-control-allow-origin'), null);
          assert.equal(removed.headers.get(REASON_HEADER), 'origin-not-allowed; policy-version=4');
        },
      );
    });

    it('requests in flight across a change are answered by the version they started under', T, async () => {
      const policy = createLivePolicy(base);
      const gate = latch();
      const seen = arrivals();
      await withServer(stack.app(policy, gate.wait, seen.arrived), async (url) => {
        // Started under version 1: APP allowed, SHOP not.
        const granted = get(`${url}/slow`, { headers: { origin: APP } });
        const refused = get(`${url}/slow`, { headers: { origin: SHOP } });
        await seen.reached(2);
        await policy.reconfigure({ ...base, origin: SHOP });
        assert.equal(policy.version, 2);
        gate.open();
        const [g, r] = await Promise.all([granted, refused]);
        assert.equal(g.headers.get('access-control-allow-origin'), APP, 'the grant of version 1 is kept at writeHead');
        assert.equal(
          r.headers.get('access-control-allow-origin'),
          null,
          'version 2 never grants a request of version 1',
        );
        assert.equal(r.headers.get(REASON_HEADER), 'origin-not-allowed; policy-version=1');
        // New requests get version 2.
        const now = await get(`${url}/data`, { headers: { origin: SHOP } });
        assert.equal(now.headers.get('access-control-allow-origin'), SHOP);
      });
    });
  });
}

for (const flavor of FLAVORS) {
  it(`${flavor.name}: the error answer of a request in flight comes from its own version`, T, async () => {
    const policy = createLivePolicy(base);
    const gate = latch();
    const seen = arrivals();
    const app = STACKS.find((stack) => stack.name === flavor.name)?.app(policy, gate.wait, seen.arrived);
    assert.ok(app);
    await withServer(app, async (url) => {
      const kept = get(`${url}/slow-error`, { headers: { origin: APP } });
      const denied = get(`${url}/slow-error`, { headers: { origin: SHOP } });
      await seen.reached(2);
      await policy.reconfigure({ ...base, origin: SHOP });
      gate.open();
      const [k, d] = await Promise.all([kept, denied]);
      assert.equal(k.status, 410);
      assert.equal(k.headers.get('access-control-allow-origin'), APP);
      assert.equal(d.status, 410);
      assert.equal(d.headers.get('access-control-allow-origin'), null);
      assert.equal(d.headers.get(REASON_HEADER), 'origin-not-allowed; policy-version=1');
    });
  });

  it(`${flavor.name}: a preflight waiting on originLookup is answered by its version's methods`, T, async () => {
    const gate = latch();
    const seen = arrivals();
    const lookup = async (): Promise<boolean> => {
      seen.arrived();
      await gate.wait;
      return true;
    };
    const policy = createLivePolicy({ ...base, originLookup: { lookup } });
    const app = flavor.create();
    app.use(corsSafety(policy));
    app.use(corsErrorHandler(policy));
    await withServer(app, async (url) => {
      const pending = get(`${url}/data`, {
        method: 'OPTIONS',
        headers: { origin: SHOP, 'access-control-request-method': 'PUT' },
      });
      await seen.reached(1);
      await policy.reconfigure({ ...base, methods: 'GET' });
      gate.open();
      const answer = await pending;
      assert.equal(answer.status, 204);
      assert.equal(answer.headers.get('access-control-allow-origin'), SHOP);
      assert.equal(answer.headers.get('access-control-allow-methods'), 'GET, PUT', 'version 1 methods');
      const later = await get(`${url}/data`, {
        method: 'OPTIONS',
        headers: { origin: SHOP, 'access-control-request-method': 'PUT' },
      });
      assert.equal(later.headers.get('access-control-allow-origin'), null, 'version 2 has no lookup');
    });
  });
}

it('decision events carry the version that decided each request (policyVersion)', T, async () => {
  const events: { policyVersion: number; outcome: string; origin: string | null }[] = [];
  const policy = createLivePolicy({ ...base, onDecision: (event) => events.push(event) });
  const cors = corsSafety(policy);
  await withServer(
    (req, res) => cors(req, res, () => res.end('ok')),
    async (url) => {
      await (await get(`${url}/`, { headers: { origin: SHOP } })).arrayBuffer();
      policy.update({ add: [SHOP] });
      await (await get(`${url}/`, { headers: { origin: SHOP } })).arrayBuffer();
    },
  );
  assert.deepEqual(
    events.map((event) => [event.policyVersion, event.outcome, event.origin]),
    [
      [1, 'denied', SHOP],
      [2, 'allowed', SHOP],
    ],
  );
});
