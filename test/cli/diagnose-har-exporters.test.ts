/**
 * `cors-safety doctor --har` on HAR files written by the browsers' own exporters, not by code of
 * ours: Chromium's DevTools frontend (its Network panel's export, sanitized and with sensitive data;
 * scripts/capture-devtools-har.ts) and Firefox's Network Monitor (its HAR auto-export;
 * scripts/capture-firefox-har.ts), both recorded against the routes of scripts/diagnose-scenarios.ts.
 * Each failure must get the live probe's finding code, whatever the exporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeHar } from '../../src/cli/har-input.js';
import { run } from '../../src/cli/run.js';
import { EXPECTED, foundCodes, keyOf, NOT_SENT } from './har-expected.js';

const fixture = (name: string): string => new URL(`../fixtures/diagnose/${name}`, import.meta.url).pathname;

interface HarHeader {
  name: string;
  value: string;
}
interface HarDoc {
  log: {
    creator: { name: string };
    entries: {
      _fromCache?: string;
      request: { method: string; url: string; headers: HarHeader[]; cookies: unknown[] };
      response: { status: number; headers: HarHeader[]; cookies: unknown[] };
    }[];
  };
}

const EXPORTS = [
  { file: 'chromium-devtools.har', creator: 'WebInspector', sanitized: true },
  { file: 'chromium-devtools-full.har', creator: 'WebInspector', sanitized: false },
  { file: 'firefox.har', creator: 'Firefox', sanitized: false },
] as const;

function load(file: string): HarDoc {
  return JSON.parse(readFileSync(fixture(file), 'utf8')) as HarDoc;
}

async function doctorHar(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['doctor', ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

for (const { file, creator, sanitized } of EXPORTS) {
  describe(`doctor --har on ${file} (${creator}'s own exporter)`, () => {
    const doc = load(file);
    const result = analyzeHar(doc);
    const byKey = new Map(result.diagnoses.map((d) => [keyOf(d), d]));

    it('is a real export of the whole page: the exporter named, the page and every call recorded', () => {
      assert.equal(doc.log.creator.name, creator);
      const urls = doc.log.entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`);
      for (const wanted of ['GET /', 'GET /me', ...Object.keys(EXPECTED), ...NOT_SENT, 'GET /down'])
        assert.ok(urls.includes(wanted), `${wanted} is missing from ${file}`);
    });

    it('names the cause of every failure with the live probe code, and nothing else', () => {
      const found = foundCodes(result.diagnoses);
      assert.deepEqual(found, EXPECTED);
      assert.equal(byKey.get('GET /nginx-502')?.answeredBy, 'nginx');
      // Chrome writes the refused WebSocket with status 0 and the 403 only in an error frame.
      assert.equal(byKey.get('GET /ws')?.status, 403);
      // The credentials mode is not in a HAR; Sec-Fetch-Storage-Access says it, sanitized or not.
      assert.equal(byKey.get('GET /wildcard-credentials')?.credentials, 'include');
    });

    it('links each request that was never sent to its failed preflight', () => {
      for (const name of NOT_SENT) {
        const d = byKey.get(name);
        assert.deepEqual(d?.findings, [], name);
        const entry = Number(
          /^not sent: its preflight \(entry (\d+)\) failed, see there$/.exec(d?.cannotTell ?? '')?.[1],
        );
        const preflight = doc.log.entries[entry - 1];
        assert.equal(preflight?.request.method, 'OPTIONS', `${name}: ${d?.cannotTell ?? ''}`);
        assert.equal(preflight.request.url, d?.url);
      }
    });

    it('says plainly what it cannot tell about a request with no response and no preflight', () => {
      const down = byKey.get('GET /down');
      assert.deepEqual(down?.findings, []);
      // Chrome records net::ERR_CONNECTION_REFUSED: not CORS. Firefox records no error at all.
      assert.match(
        down?.cannotTell ?? '',
        creator === 'Firefox'
          ? /^the HAR has no response for it, no preflight and no error text .*connection may have failed/
          : /^the connection failed \(net::ERR_CONNECTION_REFUSED\): not a CORS failure/,
      );
    });

    it(`${sanitized ? 'reads the sanitized export without a warning' : 'warns that the export is not sanitized'}, never printing a secret`, async () => {
      const secrets = doc.log.entries.flatMap((e) => [...e.request.headers, ...e.response.headers]);
      const hasSecret = secrets.some((h) => /^(cookie|set-cookie|authorization)$/i.test(h.name));
      assert.equal(hasSecret, !sanitized);
      assert.deepEqual(
        result.unsanitized,
        sanitized
          ? []
          : ['authorization header', 'cookie header', 'request cookies', 'response cookies', 'set-cookie header'],
      );
      for (const extra of [[], ['--json']]) {
        const { code, stdout } = await doctorHar(['--har', fixture(file), ...extra]);
        assert.equal(code, 1);
        if (sanitized) assert.doesNotMatch(stdout, /not sanitized/);
        else assert.match(stdout, /this HAR is not sanitized: it holds authorization header, cookie header/);
        // The fake cookie and token values, and the page's body that holds the token, never appear.
        assert.doesNotMatch(stdout, /FIXTURE-/);
        assert.match(stdout, /wildcard-with-credentials/);
      }
    });
  });
}

describe('doctor --har on a response the browser took from its cache (Chrome _fromCache)', () => {
  it('names the cause and says the server may answer otherwise now', () => {
    const doc = load('chromium-devtools.har');
    const entry = doc.log.entries.find((e) => e.request.url.endsWith('/mismatch'));
    assert.ok(entry);
    entry._fromCache = 'disk';
    const d = analyzeHar(doc).diagnoses.find((x) => x.url.endsWith('/mismatch'));
    assert.equal(d?.findings[0]?.code, 'allow-origin-mismatch');
    assert.match(d?.cannotTell ?? '', /browser's disk cache.*Vary: Origin/);
  });
});

describe("doctor --har on Chromium's export of a call Local Network Access held back", () => {
  it('names local-network-access and says the server never saw the request', async () => {
    // A page named app.example.test (a public address space for Chrome, through its
    // --ip-address-space-overrides switch) calls the API on localhost: Chrome records net::ERR_FAILED.
    const doc = load('chromium-devtools-local-network.har');
    const [only, ...rest] = analyzeHar(doc).diagnoses;
    assert.deepEqual(rest, []);
    assert.equal(only?.origin, 'http://app.example.test:5174');
    assert.equal(only.error, 'net::ERR_FAILED');
    assert.deepEqual(
      only.findings.map((f) => `${f.code}:${f.detail ?? ''}`),
      ['local-network-access:public-to-loopback'],
    );
    assert.match(only.cannotTell ?? '', /Local Network Access before it was sent/);
    const { code, stdout } = await doctorHar(['--har', fixture('chromium-devtools-local-network.har')]);
    assert.equal(code, 1);
    assert.match(stdout, /WARNING local-network-access \(public-to-loopback\)/);
  });
});

describe("doctor --har on odd values in the exporters' own fields", () => {
  it('never throws, and reads only well-formed WebSocket error frames', () => {
    const ws = (extra: Record<string, unknown>): unknown => ({
      log: {
        entries: [
          {
            _resourceType: 'websocket',
            request: {
              method: 'GET',
              url: 'ws://api.example.com/ws',
              headers: [{ name: 'Origin', value: 'https://a.example' }],
            },
            response: { status: 0, headers: [], _error: null },
            ...extra,
          },
        ],
      },
    });
    for (const odd of [
      'x',
      5,
      null,
      [null, 1, 'e', { type: 'error', data: 7 }],
      [{ type: 'receive', data: 'code: 403' }],
    ]) {
      assert.deepEqual(analyzeHar(ws({ _webSocketMessages: odd, _fromCache: 3 })).diagnoses, [], JSON.stringify(odd));
    }
    const [refused] = analyzeHar(
      ws({
        _webSocketMessages: [
          { type: 'error', data: 'Error during WebSocket handshake: Unexpected response code: 401' },
        ],
      }),
    ).diagnoses;
    assert.equal(refused?.status, 401);
    assert.equal(refused.findings[0]?.code, 'ws-refused');
  });
});
