/**
 * readUpgradeRequest() and parseAuthority(): table-driven cases for the pure request reading
 * behind the guard (no sockets).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { parseAuthority, readUpgradeRequest } from '../../src/websocket/upgrade-request.js';

/** A request as the guard sees it: raw header lines and a socket that may be TLS. */
function request(lines: readonly [string, string][], encrypted = false): IncomingMessage {
  return { rawHeaders: lines.flat(), socket: { encrypted } } as unknown as IncomingMessage;
}

describe('parseAuthority', () => {
  const cases: [string, 'http' | 'https', string | undefined][] = [
    ['app.example.com', 'https', 'https://app.example.com:443'],
    ['App.Example.COM:443', 'https', 'https://app.example.com:443'],
    ['app.example.com:80', 'https', 'https://app.example.com:80'],
    ['localhost:8080', 'http', 'http://localhost:8080'],
    ['127.0.0.1', 'http', 'http://127.0.0.1:80'],
    ['[::1]:3000', 'http', 'http://[::1]:3000'],
    ['[::1]', 'http', 'http://[::1]:80'],
    ['app.example.com.', 'https', 'https://app.example.com.:443'],
    ['', 'https', undefined],
    ['app.example.com:', 'https', undefined],
    ['app.example.com:0', 'https', undefined],
    ['app.example.com:080', 'https', undefined],
    ['app.example.com:65536', 'https', undefined],
    ['app.example.com:12a', 'https', undefined],
    ['user@app.example.com', 'https', undefined],
    ['app.example.com/x', 'https', undefined],
    ['exa mple.com', 'https', undefined],
    ['ex%61mple.com', 'https', undefined],
    ['bücher.example', 'https', undefined],
    ['127.1', 'http', undefined],
    ['0x7f.0.0.1', 'http', undefined],
    ['::1', 'http', undefined],
    ['[::1', 'http', undefined],
    ['[::1]x', 'http', undefined],
    ['[0:0:0:0:0:0:0:1]', 'http', undefined],
    ['a'.repeat(301), 'https', undefined],
  ];
  for (const [text, scheme, expected] of cases) {
    test(`${JSON.stringify(text)} over ${scheme}`, () => {
      const parsed = parseAuthority(text, scheme);
      assert.equal(parsed === undefined ? undefined : `${parsed.scheme}://${parsed.host}:${parsed.port}`, expected);
    });
  }
});

describe('readUpgradeRequest', () => {
  test('the claimed origin: Origin, else Sec-WebSocket-Origin, and conflicts are "multiple"', () => {
    const claimed = (lines: [string, string][]): unknown =>
      readUpgradeRequest(request([['Host', 'x.example'], ...lines]), false).claimed;
    assert.deepEqual(claimed([]), { kind: 'none' });
    assert.deepEqual(claimed([['Origin', 'https://a.example']]), {
      kind: 'one',
      value: 'https://a.example',
      header: 'origin',
    });
    assert.deepEqual(claimed([['ORIGIN', 'https://a.example']]), {
      kind: 'one',
      value: 'https://a.example',
      header: 'origin',
    });
    assert.deepEqual(claimed([['Sec-WebSocket-Origin', 'https://a.example']]), {
      kind: 'one',
      value: 'https://a.example',
      header: 'sec-websocket-origin',
    });
    assert.deepEqual(
      claimed([
        ['Origin', 'https://a.example'],
        ['sec-websocket-origin', 'https://a.example'],
      ]),
      { kind: 'one', value: 'https://a.example', header: 'origin' },
    );
    assert.deepEqual(
      claimed([
        ['Origin', 'https://a.example'],
        ['Sec-WebSocket-Origin', 'https://b.example'],
      ]),
      { kind: 'multiple' },
    );
    assert.deepEqual(
      claimed([
        ['Origin', 'https://a.example'],
        ['Origin', 'https://a.example'],
      ]),
      { kind: 'multiple' },
    );
    assert.deepEqual(
      claimed([
        ['Sec-WebSocket-Origin', 'https://a.example'],
        ['Sec-WebSocket-Origin', 'https://b.example'],
      ]),
      { kind: 'multiple' },
    );
    // Lookalike names of the same length are not origins.
    assert.deepEqual(
      claimed([
        ['Origen', 'https://a.example'],
        ['X-WebSocket-Origin-X', 'https://b.example'],
      ]),
      { kind: 'none' },
    );
  });

  test('the request origin: socket scheme + Host, or trusted first forwarded values', () => {
    const target = (lines: [string, string][], trust: boolean, encrypted = false): unknown => {
      const t = readUpgradeRequest(request(lines, encrypted), trust).target;
      return t.ok ? t.origin : t.reason;
    };
    const proxied: [string, string][] = [
      ['Host', '10.0.0.5:3000'],
      ['X-Forwarded-Host', 'app.example.com, evil.example'],
      ['X-Forwarded-Proto', 'https,http'],
    ];
    assert.equal(target([['Host', 'app.example.com']], false), 'http://app.example.com');
    assert.equal(target([['Host', 'app.example.com:443']], false, true), 'https://app.example.com');
    assert.equal(target(proxied, false), 'http://10.0.0.5:3000');
    assert.equal(target(proxied, true), 'https://app.example.com');
    assert.equal(
      target(
        [
          ['Host', 'app.example.com'],
          ['X-Forwarded-Proto', 'HTTPS'],
        ],
        true,
      ),
      'https://app.example.com',
    );
    assert.equal(
      target(
        [
          ['Host', 'app.example.com:443'],
          ['X-Forwarded-Proto', 'wss'],
        ],
        true,
      ),
      'https://app.example.com',
    );
    assert.equal(
      target(
        [
          ['Host', 'app.example.com:8080'],
          ['X-Forwarded-Proto', 'ws'],
        ],
        true,
        true,
      ),
      'http://app.example.com:8080',
    );
    assert.equal(
      target(
        [
          ['Host', 'app.example.com'],
          ['X-Forwarded-Proto', 'ftp'],
        ],
        true,
      ),
      'forwarded-malformed',
    );
    assert.equal(
      target(
        [
          ['Host', 'app.example.com'],
          ['X-Forwarded-Host', 'a b'],
        ],
        true,
      ),
      'forwarded-malformed',
    );
    assert.equal(
      target(
        [
          ['Host', 'a b'],
          ['X-Forwarded-Host', 'app.example.com'],
        ],
        true,
      ),
      'host-malformed',
    );
    assert.equal(target([], true), 'host-missing');
    assert.equal(
      target(
        [
          ['Host', 'a.example'],
          ['host', 'a.example'],
        ],
        false,
      ),
      'host-multiple',
    );
    // Only the first X-Forwarded-* line counts.
    assert.equal(
      target(
        [
          ['Host', 'h.example'],
          ['X-Forwarded-Host', 'one.example'],
          ['X-Forwarded-Host', 'two.example'],
        ],
        true,
      ),
      'http://one.example',
    );
  });

  test('forwarded headers are noticed (for hints) even when not trusted', () => {
    assert.equal(
      readUpgradeRequest(
        request([
          ['Host', 'a.example'],
          ['X-Forwarded-Proto', 'https'],
        ]),
        false,
      ).forwarded,
      true,
    );
    assert.equal(readUpgradeRequest(request([['Host', 'a.example']]), false).forwarded, false);
  });
});

test('remembered Host values give the same answers after the bounded cache is emptied', () => {
  const hostOf = (value: string, encrypted = false) =>
    readUpgradeRequest(request([['Host', value]], encrypted), false).target;
  const before = hostOf('app.example.com:8443', true);
  const malformedBefore = hostOf('user@app.example.com');
  // Far more distinct hosts than the cache holds: it is emptied at least once on the way.
  for (let i = 0; i < 1000; i++) assert.equal(hostOf(`h${i}.example.com`).ok, true);
  assert.deepEqual(hostOf('app.example.com:8443', true), before);
  assert.deepEqual(before, {
    ok: true,
    origin: 'https://app.example.com:8443',
    parsed: { scheme: 'https', host: 'app.example.com', port: 8443 },
  });
  assert.deepEqual(hostOf('user@app.example.com'), malformedBefore);
  assert.deepEqual(malformedBefore, { ok: false, reason: 'host-malformed' });
  // The same Host over the other scheme is another origin, not a cache hit.
  assert.equal((hostOf('app.example.com:8443') as { origin: string }).origin, 'http://app.example.com:8443');
});
