/**
 * `cors-safety doctor --console`: the console text of real browsers, named with the live probe's
 * codes. Chromium's lines were captured from Debian's Chromium by scripts/capture-diagnostics.ts,
 * Firefox's (firefox-esr) and WebKit's (WebKitGTK's MiniBrowser) by scripts/capture-consoles.ts,
 * all from the same failing calls (scripts/diagnose-scenarios.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseConsole } from '../../src/cli/console-input.js';
import { run } from '../../src/cli/run.js';
import { PAGE_ORIGIN, correctServer, duplicateHeaderServer, otherOriginServer } from './servers.js';

const fixture = (name: string): string => new URL(`../fixtures/diagnose/${name}`, import.meta.url).pathname;

interface DiagnoseJson {
  diagnoses: {
    where: string;
    url?: string;
    origin?: string;
    findings: { code: string; detail?: string; cause: string; fix: string }[];
    cannotTell?: string;
    probe?: { verdict: string; findings: { code: string }[] };
  }[];
  warnings: string[];
}

async function diagnose(args: readonly string[], stdin = ''): Promise<{ code: number; json: DiagnoseJson }> {
  let stdout = '';
  const code = await run(
    ['doctor', '--json', ...args],
    { stdout: (t) => (stdout += t), stderr: () => undefined },
    undefined,
    () => Promise.resolve(stdin),
  );
  return { code, json: JSON.parse(stdout) as DiagnoseJson };
}

function summary(json: DiagnoseJson): string[] {
  return json.diagnoses.map(
    (d) => `${new URL(d.url ?? 'x:/').pathname} ${d.findings.map((f) => `${f.code}:${f.detail ?? ''}`).join(',')}`,
  );
}

describe('doctor --console', () => {
  it('Chromium (captured): every message named with the probe codes, URL and origin read', async () => {
    const { code, json } = await diagnose(['--console', fixture('chromium-console.txt'), '--offline']);
    assert.equal(code, 1);
    assert.deepEqual(summary(json), [
      '/error-401 no-allow-origin:status-unknown',
      '/nginx-502 no-allow-origin:status-unknown',
      '/duplicate allow-origin-duplicated:identical',
      '/mismatch allow-origin-mismatch:localhost-alias',
      '/wildcard-credentials wildcard-with-credentials:',
      '/no-credentials credentials-not-allowed:missing',
      '/preflight-401 no-allow-origin:status-unknown',
      '/preflight-redirect preflight-redirect:',
      '/method method-not-allowed:',
      '/header header-not-allowed:',
      '/list allow-origin-list:',
      '/ws ws-refused:origin-or-auth',
    ]);
    // Chromium's WebSocket message names no origin.
    assert.ok(json.diagnoses.slice(0, -1).every((d) => d.origin === 'http://127.0.0.1:5173'));
  });

  it('Firefox (captured): the status it gives is used; a preflight is known by the line after it; --origin fills the origin', async () => {
    const { json } = await diagnose([
      '--console',
      fixture('firefox-console.txt'),
      '--offline',
      '--origin',
      PAGE_ORIGIN,
    ]);
    // Firefox reports a failed preflight as "Access-Control-Allow-Origin missing" with the
    // preflight's status, then "CORS request did not succeed" for the request it stopped.
    assert.deepEqual(summary(json), [
      '/error-401 no-allow-origin:error-status',
      '/nginx-502 no-allow-origin:error-status',
      '/duplicate allow-origin-duplicated:identical',
      '/mismatch allow-origin-mismatch:localhost-alias',
      '/wildcard-credentials wildcard-with-credentials:',
      '/no-credentials credentials-not-allowed:missing',
      '/preflight-401 preflight-status:auth',
      '/preflight-redirect preflight-redirect:',
      '/method method-not-allowed:',
      '/header header-not-allowed:',
      '/list allow-origin-list:',
      '/ws ws-refused:cannot-tell',
    ]);
    assert.ok(json.diagnoses.every((d) => d.origin === PAGE_ORIGIN));
  });

  it('WebKit (captured): a reason line and its "due to access control checks" line are one message', async () => {
    const { json } = await diagnose(
      ['--console', '-', '--offline'],
      readFileSync(fixture('webkit-console.txt'), 'utf8'),
    );
    assert.deepEqual(summary(json), [
      '/error-401 no-allow-origin:error-status,allow-origin-mismatch:same-message',
      '/nginx-502 no-allow-origin:error-status,allow-origin-mismatch:same-message',
      '/duplicate allow-origin-duplicated:identical,allow-origin-list:',
      '/mismatch no-allow-origin:not-granted,allow-origin-mismatch:same-message',
      '/wildcard-credentials wildcard-with-credentials:',
      '/no-credentials credentials-not-allowed:missing',
      '/preflight-401 preflight-status:auth',
      '/preflight-redirect preflight-redirect:',
      '/method method-not-allowed:',
      '/header header-not-allowed:',
      '/list allow-origin-duplicated:identical,allow-origin-list:',
      '/ws ws-refused:cannot-tell',
    ]);
    // Only "Origin X is not allowed ..." names the origin.
    assert.deepEqual(
      json.diagnoses.map((d) => d.origin),
      [PAGE_ORIGIN, PAGE_ORIGIN, undefined, PAGE_ORIGIN, ...Array<undefined>(8)],
    );
    // The one message for two causes says so, and names the probe that tells them apart.
    const mismatch = json.diagnoses[3];
    assert.match(mismatch?.cannotTell ?? '', /same message for a missing and for a mismatched .* both possible causes/);
    assert.match(
      mismatch?.cannotTell ?? '',
      /cors-safety doctor http:\/\/localhost:3000\/mismatch --origin http:\/\/127\.0\.0\.1:5173/,
    );
    assert.match(json.diagnoses[2]?.cannotTell ?? '', /two Access-Control-Allow-Origin header lines and for a list/);
  });

  it("WebKit's one message for a missing and a mismatched grant: the live probe tells which", async () => {
    const other = await otherOriginServer();
    const notGranted = await correctServer('https://admin.example.com');
    try {
      for (const [server, code] of [
        [other, 'allow-origin-mismatch'],
        [notGranted, 'no-allow-origin'],
      ] as const) {
        const text =
          `[Error] Origin ${PAGE_ORIGIN} is not allowed by Access-Control-Allow-Origin. Status code: 200\n` +
          `[Error] Fetch API cannot load ${server.url}/x due to access control checks.\n`;
        const { json } = await diagnose(['--console', '-'], text);
        const [d] = json.diagnoses;
        assert.deepEqual(
          d?.findings.map((f) => `${f.code}:${f.detail ?? ''}`),
          ['no-allow-origin:not-granted', 'allow-origin-mismatch:same-message'],
        );
        assert.match(d?.cannotTell ?? '', /both possible causes are listed\. The live probe below tells which/);
        assert.equal(d?.probe?.verdict, 'blocked');
        assert.equal(d?.probe?.findings[0]?.code, code, `${server.url}: ${JSON.stringify(d?.probe)}`);
      }
    } finally {
      await Promise.all([other.close(), notGranted.close()]);
    }
  });

  it('Local Network Access and mixed content messages are named, with the client-side fix', () => {
    const [lna, mixed] = parseConsole(
      [
        "Access to fetch at 'http://127.0.0.1:8080/api' from origin 'https://app.example.com' has been blocked by " +
          'CORS policy: Permission was denied for this request to access the `loopback` address space.',
        "Mixed Content: The page at 'https://app.example.com/' was loaded over HTTPS, but requested an insecure " +
          "resource 'http://api.example.com/x'. This request has been blocked; the content must be served over HTTPS.",
      ].join('\n'),
    );
    assert.deepEqual(lna?.fact, { kind: 'local-network-access', space: 'loopback' });
    assert.equal(mixed?.fact.kind, 'mixed-content');
    assert.equal(mixed?.origin, 'https://app.example.com');
  });

  it('a message naming a URL and an origin is probed live (the probe agrees with the console)', async () => {
    const server = await duplicateHeaderServer();
    try {
      const text =
        `Access to fetch at '${server.url}/x' from origin '${PAGE_ORIGIN}' has been blocked by CORS policy: The ` +
        `'Access-Control-Allow-Origin' header contains multiple values '${PAGE_ORIGIN}, ${PAGE_ORIGIN}', but only one is allowed.`;
      const { json } = await diagnose(['--console', '-'], text);
      assert.equal(json.diagnoses[0]?.findings[0]?.code, 'allow-origin-duplicated');
      assert.equal(json.diagnoses[0]?.probe?.verdict, 'blocked');
      assert.equal(json.diagnoses[0]?.probe?.findings[0]?.code, 'allow-origin-duplicated');
    } finally {
      await server.close();
    }
  });

  it('text without a CORS message says so and exits 0', async () => {
    const { code, json } = await diagnose(['--console', '-'], 'Uncaught TypeError: x is undefined\n');
    assert.equal(code, 0);
    assert.match(json.warnings[0] ?? '', /no CORS or WebSocket error message/);
  });
});
