/**
 * When `trustProxy` matters (docs/websockets.md, "Behind a reverse proxy"): an origin the policy
 * lists, or an https page whose host is in `allowedHosts`, is allowed whatever a proxy does to
 * `Host` and whether or not `trustProxy` names it; one it does not list is refused either way.
 * `trustProxy` changes the reason code (allowed-same-origin against allowed-host), and makes a
 * malformed X-Forwarded-Host from the proxy a 400. Real guard, raw handshakes over loopback.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCorsPolicy } from '../../src/index.js';
import { captureUpgradeLog, rawUpgrade, startGuard } from '../helpers/upgrade-harness.js';

const policy = createCorsPolicy({ origin: ['https://partner.example'], allowedHosts: ['app.example.com'], env: {} });
const PAGE = 'https://app.example.com';

/** What a proxy may send as Host and X-Forwarded-*: kept, rewritten to the upstream, or forwarded. */
const PROXIES: Record<string, string[]> = {
  'Host kept': ['Host: app.example.com'],
  'Host rewritten to the upstream': ['Host: localhost:3000'],
  'Host rewritten, X-Forwarded-* set': [
    'Host: 127.0.0.1:3000',
    'X-Forwarded-Host: app.example.com',
    'X-Forwarded-Proto: https',
  ],
  'Host rewritten, X-Forwarded-* of another host': [
    'Host: 10.0.0.5:8080',
    'X-Forwarded-Host: internal.example',
    'X-Forwarded-Proto: http',
  ],
};

describe('trustProxy never decides whether a listed origin is allowed', () => {
  for (const trustProxy of [false, 'loopback'] as const) {
    for (const [proxy, lines] of Object.entries(PROXIES)) {
      it(`trustProxy ${String(trustProxy)}, ${proxy}`, async (t) => {
        const harness = await startGuard(t, policy, { trustProxy });
        const page = await rawUpgrade(harness.port, [...lines, `Origin: ${PAGE}`]);
        assert.equal(page.status, 101, 'the https page whose host is in allowedHosts');
        const partner = await rawUpgrade(harness.port, [...lines, 'Origin: https://partner.example']);
        assert.equal(partner.status, 101, 'an origin listed in origin');
        const evil = await rawUpgrade(harness.port, [...lines, 'Origin: https://evil.example']);
        assert.equal(evil.status, 403, 'an origin listed nowhere');
        const plain = await rawUpgrade(harness.port, [...lines, 'Origin: http://app.example.com']);
        assert.equal(plain.status, 403, 'plain http is never allowed through allowedHosts');
      });
    }
  }

  it('what trustProxy does change: the reason code, and a malformed X-Forwarded-Host is a 400', async (t) => {
    const lines = captureUpgradeLog(t);
    const trusted = await startGuard(t, policy, { trustProxy: 'loopback' });
    const untrusted = await startGuard(t, policy);
    const forwarded = ['Host: 127.0.0.1:3000', 'X-Forwarded-Host: app.example.com', 'X-Forwarded-Proto: https'];
    assert.equal((await rawUpgrade(trusted.port, [...forwarded, `Origin: ${PAGE}`])).status, 101);
    assert.match(lines.join('\n'), /allowed-same-origin/);
    lines.length = 0;
    assert.equal((await rawUpgrade(untrusted.port, [...forwarded, `Origin: ${PAGE}`])).status, 101);
    assert.match(lines.join('\n'), /allowed-host/);
    assert.doesNotMatch(lines.join('\n'), /allowed-same-origin/);
    const bad = ['Host: 127.0.0.1:3000', 'X-Forwarded-Host: a b', `Origin: ${PAGE}`];
    assert.equal((await rawUpgrade(trusted.port, bad)).status, 400);
    assert.equal((await rawUpgrade(untrusted.port, bad)).status, 101);
  });
});
