// Private Network Access (WICG): with allowPrivateNetwork, a preflight from an allowed origin
// carrying `Access-Control-Request-Private-Network: true` gets
// `Access-Control-Allow-Private-Network: true`; never a denied origin; off by default.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { corsSafety, createCorsPolicy, type CorsSafetyOptions } from '../../src/index.js';
import { answerPreflight } from '../../src/headers/preflight.js';
import { compiledPolicy } from '../../src/policy/policy.js';
import { listen, type Running } from '../helpers/listen.js';
import { rawCall } from '../helpers/middleware-http.js';

const ORIGIN = 'https://app.example.com';
const DENIED = 'https://evil.example';
const ALLOW_PNA = 'access-control-allow-private-network';

/** A node:http app whose earlier middleware (when `earlier`) sets the PNA grant itself. */
function nodeApp(options: CorsSafetyOptions, earlier: boolean): Promise<Running> {
  const cors = corsSafety({ env: {}, ...options });
  return listen(
    http.createServer((req, res) => {
      if (earlier) res.setHeader('Access-Control-Allow-Private-Network', 'true');
      cors(req, res, () => res.end('handler'));
    }),
  );
}

function expressApp(options: CorsSafetyOptions): Promise<Running> {
  const app = express();
  app.use(corsSafety({ env: {}, ...options }));
  app.get('/', (_req, res) => res.send('ok'));
  return listen(http.createServer(app));
}

function pnaPreflight(url: string, origin: string, privateNetwork = 'true') {
  return rawCall(url, 'OPTIONS', {
    Origin: origin,
    'Access-Control-Request-Method': 'PUT',
    'Access-Control-Request-Private-Network': privateNetwork,
  });
}

describe('allowPrivateNetwork', () => {
  let on: Running;
  let off: Running;
  let onEarlier: Running;
  let offEarlier: Running;
  let onExpress: Running;
  before(async () => {
    on = await nodeApp({ origin: ORIGIN, allowPrivateNetwork: true }, false);
    off = await nodeApp({ origin: ORIGIN }, false);
    onEarlier = await nodeApp({ origin: ORIGIN, allowPrivateNetwork: true, credentials: true }, true);
    offEarlier = await nodeApp({ origin: ORIGIN }, true);
    onExpress = await expressApp({ origin: ORIGIN, allowPrivateNetwork: true });
  });
  after(async () => {
    await Promise.all([on, off, onEarlier, offEarlier, onExpress].map((app) => app.close()));
  });

  it('grants an allowed origin that asks, on node:http and Express', async () => {
    for (const app of [on, onExpress]) {
      const reply = await pnaPreflight(app.url, ORIGIN);
      assert.equal(reply.status, 204);
      assert.equal(reply.headers[ALLOW_PNA], 'true');
      assert.equal(reply.headers['access-control-allow-origin'], ORIGIN);
      assert.match(String(reply.headers.vary), /Access-Control-Request-Private-Network/);
    }
  });

  it('never grants a denied origin, even when an earlier middleware set the header', async () => {
    for (const app of [on, onEarlier]) {
      const reply = await pnaPreflight(app.url, DENIED);
      assert.equal(reply.status, 403);
      assert.equal(reply.headers[ALLOW_PNA], undefined);
      assert.equal(reply.headers['access-control-allow-origin'], undefined);
    }
  });

  it('sends nothing when the preflight does not ask, or asks with another value', async () => {
    for (const value of [undefined, 'false', 'TRUE']) {
      const reply =
        value === undefined
          ? await rawCall(on.url, 'OPTIONS', { Origin: ORIGIN, 'Access-Control-Request-Method': 'PUT' })
          : await pnaPreflight(on.url, ORIGIN, value);
      assert.equal(reply.status, 204);
      assert.equal(reply.headers[ALLOW_PNA], undefined, String(value));
    }
  });

  it('is off by default: no grant, and a header set earlier is removed (the policy owns CORS headers)', async () => {
    for (const app of [off, offEarlier]) {
      const reply = await pnaPreflight(app.url, ORIGIN);
      assert.equal(reply.status, 204);
      assert.equal(reply.headers[ALLOW_PNA], undefined);
      assert.doesNotMatch(String(reply.headers.vary), /Private-Network/);
    }
  });

  it('when on, a header set earlier by other middleware is kept for an allowed origin', async () => {
    const asks = await pnaPreflight(onEarlier.url, ORIGIN);
    assert.equal(asks.headers[ALLOW_PNA], 'true');
    const doesNotAsk = await rawCall(onEarlier.url, 'OPTIONS', {
      Origin: ORIGIN,
      'Access-Control-Request-Method': 'PUT',
    });
    assert.equal(doesNotAsk.headers[ALLOW_PNA], 'true');
    assert.equal(doesNotAsk.headers['access-control-allow-credentials'], 'true');
  });

  it('a refused method keeps the origin grant and the PNA grant, so the browser names the method', () => {
    const policy = compiledPolicy(createCorsPolicy({ origin: ORIGIN, allowPrivateNetwork: true, env: {} }));
    const verdict = { allowed: true, reason: 'allowed-exact', origin: ORIGIN, rule: ORIGIN } as const;
    const answer = answerPreflight(policy, verdict, 'PURGE', undefined, true);
    assert.equal(answer.reason, 'method-not-allowed');
    assert.deepEqual(Object.fromEntries(answer.headers)['Access-Control-Allow-Private-Network'], 'true');
  });

  it('is a validated boolean option, shown in the policy summary', () => {
    assert.equal(createCorsPolicy({ origin: ORIGIN, env: {} }).allowPrivateNetwork, false);
    assert.equal(createCorsPolicy({ origin: ORIGIN, allowPrivateNetwork: true, env: {} }).allowPrivateNetwork, true);
    assert.throws(
      () => createCorsPolicy({ origin: ORIGIN, allowPrivateNetwork: 'yes' as unknown as boolean, env: {} }),
      /allowPrivateNetwork: must be true or false/,
    );
  });
});
