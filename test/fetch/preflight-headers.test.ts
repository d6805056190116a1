/**
 * Granted preflight answers of withCorsSafety() are built once and reused as the init of each new
 * Response: every answer must still be the one its own request earns (origin, requested headers,
 * Private Network Access, the policy version in force), and nothing a caller does to one answer
 * may reach the next.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLivePolicy } from '../../src/index.js';
import { withCorsSafety } from '../../src/fetch/index.js';

const handler = (): Response => new Response('handler ran', { status: 200 });

function preflight(origin: string, requestHeaders?: string, privateNetwork = false): Request {
  const headers: Record<string, string> = { origin, 'access-control-request-method': 'PUT' };
  if (requestHeaders !== undefined) headers['access-control-request-headers'] = requestHeaders;
  if (privateNetwork) headers['access-control-request-private-network'] = 'true';
  return new Request('http://api.test/items', { method: 'OPTIONS', headers });
}

const grant = (response: Response): Record<string, string | null> => ({
  origin: response.headers.get('access-control-allow-origin'),
  headers: response.headers.get('access-control-allow-headers'),
  privateNetwork: response.headers.get('access-control-allow-private-network'),
  credentials: response.headers.get('access-control-allow-credentials'),
});

describe('withCorsSafety(): kept preflight answers', () => {
  test('each answer is its own request’s: origin, requested headers and Private Network Access', async () => {
    const fetch = withCorsSafety(
      {
        origin: ['https://a.example.com', 'https://b.example.com'],
        allowedHeaders: ['X-One', 'X-Two', 'X-Three'],
        allowPrivateNetwork: true,
        env: {},
      },
      handler,
    );
    const cases: [Request, Record<string, string | null>][] = [
      [preflight('https://a.example.com'), { origin: 'https://a.example.com', headers: null, privateNetwork: null }],
      [preflight('https://b.example.com'), { origin: 'https://b.example.com', headers: null, privateNetwork: null }],
      [
        preflight('https://a.example.com', 'x-one'),
        { origin: 'https://a.example.com', headers: 'x-one', privateNetwork: null },
      ],
      [
        preflight('https://a.example.com', 'x-two, x-three'),
        { origin: 'https://a.example.com', headers: 'x-two, x-three', privateNetwork: null },
      ],
      [
        preflight('https://a.example.com', 'x-one', true),
        { origin: 'https://a.example.com', headers: 'x-one', privateNetwork: 'true' },
      ],
    ];
    // Twice over: the second round is answered from what the first kept.
    for (let round = 0; round < 2; round++)
      for (const [request, expected] of cases) {
        const response = await fetch(request.clone());
        assert.equal(response.status, 204);
        const { origin, headers, privateNetwork } = grant(response);
        assert.deepEqual({ origin, headers, privateNetwork }, expected, `round ${round}`);
      }
    // A refused header list is never a kept grant.
    const refused = await fetch(preflight('https://a.example.com', 'x-four'));
    assert.equal(refused.headers.get('access-control-allow-headers'), 'x-one, x-two, x-three');
    const denied = await fetch(preflight('https://evil.example'));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });

  test('a caller changing one answer’s headers changes nothing in the next', async () => {
    const fetch = withCorsSafety({ origin: 'https://a.example.com', env: {} }, handler);
    const first = await fetch(preflight('https://a.example.com'));
    first.headers.set('Access-Control-Allow-Origin', 'https://evil.example');
    first.headers.set('Set-Cookie', 'session=leaked');
    const second = await fetch(preflight('https://a.example.com'));
    assert.equal(second.headers.get('access-control-allow-origin'), 'https://a.example.com');
    assert.equal(second.headers.get('set-cookie'), null);
  });

  test('a live policy’s next version answers from its own grants', async () => {
    const live = createLivePolicy({ origin: 'https://a.example.com', env: {} });
    const fetch = withCorsSafety(live, handler);
    assert.equal(grant(await fetch(preflight('https://a.example.com'))).credentials, null);
    await live.reconfigure({ origin: 'https://a.example.com', credentials: true, env: {} });
    assert.equal(grant(await fetch(preflight('https://a.example.com'))).credentials, 'true');
    await live.reconfigure({ origin: 'https://b.example.com', env: {} });
    assert.equal((await fetch(preflight('https://a.example.com'))).status, 403);
  });

  test('more granted origins than are kept (reflect-any): every answer still names its own origin', async () => {
    const fetch = withCorsSafety({ origin: true, allowedHeaders: ['X-A'], env: {} }, handler);
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 1_200; i++) {
        const origin = `https://t${i}.example.net`;
        const response = await fetch(preflight(origin, i % 3 === 0 ? 'x-a' : undefined));
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        assert.equal(response.headers.get('access-control-allow-headers'), i % 3 === 0 ? 'x-a' : null);
      }
  });

  test('more header lists from one origin than are kept: each answer names its own list', async () => {
    const names = ['x-a', 'x-b', 'x-c', 'x-d', 'x-e', 'x-f'];
    const fetch = withCorsSafety({ origin: 'https://a.example.com', allowedHeaders: names, env: {} }, handler);
    for (let round = 0; round < 3; round++)
      for (const name of names) {
        const response = await fetch(preflight('https://a.example.com', name));
        assert.equal(response.headers.get('access-control-allow-headers'), name);
      }
  });

  test('a refusal’s reason header names the live policy version that refused it, as the Node adapter’s does', async () => {
    const live = createLivePolicy({
      origin: 'https://a.example.com',
      allowedHeaders: ['X-One'],
      exposeReason: true,
      env: {},
    });
    const fetch = withCorsSafety(live, handler);
    live.update({ add: ['https://b.example.com'] });
    const refused = await fetch(preflight('https://b.example.com', 'x-two'));
    assert.equal(refused.headers.get('cors-safety-reason'), `header-not-allowed; policy-version=${live.version}`);
    const denied = await fetch(preflight('https://evil.example'));
    assert.equal(denied.headers.get('cors-safety-reason'), `origin-not-allowed; policy-version=${live.version}`);
  });
});
