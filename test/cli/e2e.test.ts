/**
 * The scenarios, end to end: the real CLI process against real loopback servers.
 * Each asserts the exit code, the verdict and the finding code from `--json`.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scaled } from '../helpers/time.js';
import { hasStackTrace, parseDoctorJson, runCli } from './cli-helper.js';
import { librarySetupServer } from './library-server.js';
import type { Running } from './servers.js';
import {
  authBeforeCorsServer,
  correctServer,
  duplicateHeaderServer,
  otherOriginServer,
  PAGE_ORIGIN,
  redirectingServer,
  refusedPort,
  silentServer,
  TLS_CERT_FILE,
  tlsServer,
  wildcardServer,
  wsServer,
} from './servers.js';

async function doctor(start: () => Promise<Running>, args: (url: string) => string[]) {
  const server = await start();
  try {
    const run = await runCli(['doctor', ...args(server.url), '--json', '--timeout', '3000']);
    assert.equal(hasStackTrace(run.stderr), false, run.stderr);
    return { ...run, json: parseDoctorJson(run.stdout) };
  } finally {
    await server.close();
  }
}

function errorCodes(json: ReturnType<typeof parseDoctorJson>): string[] {
  return json.findings.filter((f) => f.severity === 'error').map((f) => f.code);
}

describe('cors-safety doctor against real servers', () => {
  it('an app origin (capacitor://localhost) is sent as given and allowed by a server that lists it', async () => {
    const { code, json } = await doctor(
      () => correctServer('capacitor://localhost'),
      (url) => [`${url}/`, '--origin', 'capacitor://localhost', '-X', 'PUT'],
    );
    assert.deepEqual(errorCodes(json), []);
    assert.equal(json.verdict, 'allowed');
    assert.equal(code, 0);
  });

  it('this library, correctly configured: a credentialed PUT with Authorization is allowed', async () => {
    const { code, json } = await doctor(librarySetupServer, (url) => [
      `${url}/api/me`,
      '--origin',
      PAGE_ORIGIN,
      '-X',
      'PUT',
      '-H',
      'Authorization: Bearer good',
      '-H',
      'Content-Type',
      '--credentials',
    ]);
    assert.deepEqual(errorCodes(json), []);
    assert.equal(json.verdict, 'allowed');
    assert.deepEqual(
      json.steps.map((s) => `${s.name} ${s.response?.status ?? '-'}`),
      ['preflight 204', 'actual 200', 'foreign-origin 403'],
    );
    assert.equal(code, 0);
  });

  it('this library, correctly configured: its 401 carries CORS headers, so the page can read it', async () => {
    const { code, json } = await doctor(librarySetupServer, (url) => [
      `${url}/api/me`,
      '--origin',
      PAGE_ORIGIN,
      '--credentials',
    ]);
    assert.equal(json.steps[0]?.response?.status, 401);
    assert.equal(json.verdict, 'allowed');
    assert.equal(code, 0);
  });

  it('a hand-written correct server: allowed, no findings, exit 0', async () => {
    const { code, json } = await doctor(correctServer, (url) => [
      `${url}/api`,
      '--origin',
      PAGE_ORIGIN,
      '-X',
      'DELETE',
      '-H',
      'Authorization: Bearer x',
      '--credentials',
    ]);
    assert.deepEqual(json.findings, []);
    assert.equal(json.verdict, 'allowed');
    assert.equal(code, 0);
  });

  it('the cors package after an auth middleware: no-allow-origin on the 401, exit 1', async () => {
    const { code, json } = await doctor(authBeforeCorsServer, (url) => [
      `${url}/api/me`,
      '--origin',
      PAGE_ORIGIN,
      '--credentials',
    ]);
    assert.equal(json.verdict, 'blocked');
    const [finding] = json.findings;
    assert.equal(finding?.code, 'no-allow-origin');
    assert.equal(finding?.detail, 'error-status');
    assert.match(finding?.cause ?? '', /401/);
    assert.match(finding?.fix ?? '', /corsErrorHandler\(\) last/);
    assert.equal(code, 1);
  });

  it('the cors package after an auth middleware, with Authorization: the preflight gets the 401', async () => {
    const { code, json } = await doctor(authBeforeCorsServer, (url) => [
      `${url}/api/me`,
      '--origin',
      PAGE_ORIGIN,
      '-H',
      'Authorization: Bearer good',
    ]);
    assert.deepEqual(
      json.findings.map((f) => `${f.code}:${f.detail ?? ''}`),
      ['preflight-status:auth'],
    );
    assert.equal(json.steps[1]?.skipped !== undefined, true);
    assert.equal(code, 1);
  });

  it('Access-Control-Allow-Origin sent twice: allow-origin-duplicated, exit 1', async () => {
    const { code, json } = await doctor(duplicateHeaderServer, (url) => [url, '--origin', PAGE_ORIGIN]);
    assert.deepEqual(errorCodes(json), ['allow-origin-duplicated']);
    assert.equal(json.verdict, 'blocked');
    assert.equal(code, 1);
  });

  it('another origin echoed (localhost vs 127.0.0.1): allow-origin-mismatch, exit 1', async () => {
    const { code, json } = await doctor(
      () => otherOriginServer('http://localhost:5173'),
      (url) => [url, '--origin', PAGE_ORIGIN],
    );
    assert.deepEqual(errorCodes(json), ['allow-origin-mismatch']);
    assert.equal(json.findings[0]?.detail, 'localhost-alias');
    assert.equal(code, 1);
  });

  it('another origin echoed (port): the sub-diagnosis names the port', async () => {
    const { code, json } = await doctor(
      () => otherOriginServer('http://127.0.0.1:3000'),
      (url) => [url, '--origin', PAGE_ORIGIN],
    );
    assert.equal(json.findings[0]?.detail, 'port');
    assert.equal(code, 1);
  });

  it('* with credentials: wildcard-with-credentials, exit 1; without credentials: allowed', async () => {
    const blocked = await doctor(wildcardServer, (url) => [url, '--origin', PAGE_ORIGIN, '--credentials']);
    assert.deepEqual(errorCodes(blocked.json), ['wildcard-with-credentials']);
    assert.equal(blocked.code, 1);
    const allowed = await doctor(wildcardServer, (url) => [url, '--origin', PAGE_ORIGIN]);
    assert.equal(allowed.json.verdict, 'allowed');
    assert.equal(allowed.code, 0);
  });

  it('a preflight that redirects: preflight-redirect, actual request not sent, exit 1', async () => {
    const { code, json } = await doctor(redirectingServer, (url) => [
      `${url}/api`,
      '--origin',
      PAGE_ORIGIN,
      '-X',
      'PUT',
    ]);
    assert.deepEqual(errorCodes(json), ['preflight-redirect']);
    assert.equal(json.steps[0]?.response?.status, 301);
    assert.equal(json.steps[1]?.skipped !== undefined, true);
    assert.equal(code, 1);
  });

  it('a WebSocket server that refuses the origin: ws-refused with 403, exit 1', async () => {
    const { code, json } = await doctor(
      () => wsServer(['https://only.example']),
      (url) => [url.replace('http:', 'ws:'), '--origin', PAGE_ORIGIN],
    );
    assert.deepEqual(errorCodes(json), ['ws-refused']);
    assert.match(json.findings[0]?.cause ?? '', /403/);
    assert.equal(json.steps[0]?.response?.status, 403);
    assert.equal(code, 1);
  });

  it('a WebSocket server that accepts the origin: allowed, exit 0', async () => {
    const { code, json } = await doctor(
      () => wsServer([PAGE_ORIGIN]),
      (url) => [url, '--ws', '--origin', PAGE_ORIGIN],
    );
    assert.equal(json.verdict, 'allowed');
    assert.deepEqual(json.findings, []);
    assert.equal(json.steps[0]?.response?.status, 101);
    assert.equal(code, 0);
  });

  it('a refused connection: exit 2, one clear line, no stack trace', async () => {
    const port = await refusedPort();
    const run = await runCli(['doctor', `http://127.0.0.1:${port}/api`, '--origin', PAGE_ORIGIN]);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `cors-safety: cannot reach http://127.0.0.1:${port}/api: connection refused (ECONNREFUSED)\n`,
    );
    assert.match(run.stdout, /Verdict: PROBE FAILED/);
    assert.equal(hasStackTrace(run.stdout + run.stderr), false);
  });

  it('a refused connection with --json: verdict probe-failed, exit 2', async () => {
    const port = await refusedPort();
    const run = await runCli(['doctor', `http://127.0.0.1:${port}/`, '--origin', PAGE_ORIGIN, '--json']);
    const json = parseDoctorJson(run.stdout);
    assert.equal(json.verdict, 'probe-failed');
    assert.equal(json.error?.code, 'ECONNREFUSED');
    assert.equal(run.code, 2);
  });

  it('a server that never answers: exit 2 after --timeout', async () => {
    const server = await silentServer();
    try {
      const started = Date.now();
      const run = await runCli(['doctor', server.url, '--origin', PAGE_ORIGIN, '--timeout', '300']);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /no response within 300 ms/);
      // A limit for giving up, not a measurement: process start-up alone takes seconds on a loaded machine.
      assert.ok(Date.now() - started < scaled(10_000) + 5000, `took ${Date.now() - started} ms`);
    } finally {
      await server.close();
    }
  });

  it('https: an untrusted certificate is a probe failure with a hint; trusted, it is probed', async () => {
    const server = await tlsServer();
    try {
      const env = { ...process.env };
      delete env.NODE_EXTRA_CA_CERTS;
      const untrusted = await runCli(['doctor', server.url, '--origin', PAGE_ORIGIN], env);
      assert.equal(untrusted.code, 2);
      assert.match(
        untrusted.stderr,
        /^cors-safety: cannot reach https:\/\/127\.0\.0\.1:\d+\/: TLS error: .*NODE_EXTRA_CA_CERTS/,
      );
      const trusted = await runCli(['doctor', server.url, '--origin', PAGE_ORIGIN, '--json'], {
        ...env,
        NODE_EXTRA_CA_CERTS: fileURLToPath(TLS_CERT_FILE),
      });
      assert.equal(parseDoctorJson(trusted.stdout).verdict, 'allowed');
      assert.equal(trusted.code, 0);
    } finally {
      await server.close();
    }
  });

  it('text output: steps, cause, fix and verdict', async () => {
    const server = await duplicateHeaderServer();
    try {
      const run = await runCli(['doctor', server.url, '--origin', PAGE_ORIGIN]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /1\. actual +GET http:\/\/127\.0\.0\.1:\d+\/ +-> +200 OK/);
      assert.equal(run.stdout.match(/< Access-Control-Allow-Origin: http:\/\/127\.0\.0\.1:5173/g)?.length, 2);
      assert.match(run.stdout, /ERROR +allow-origin-duplicated/);
      assert.match(run.stdout, /fix: +Let exactly one layer handle CORS/);
      assert.match(run.stdout, /Verdict: BLOCKED/);
    } finally {
      await server.close();
    }
  });

  it('no arguments: the usage on stderr, exit 2', async () => {
    const run = await runCli([]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^cors-safety: no command given\n\nUsage: cors-safety <command>/);
  });

  it("a mistyped flag: the closest flag, not parseArgs's message, exit 2", async () => {
    const run = await runCli(['doctor', 'http://127.0.0.1:1/', '--orign', 'http://localhost:5173']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^cors-safety: unknown option --orign for doctor; did you mean --origin\?\n/);
    assert.doesNotMatch(run.stderr, /Unknown option|To specify a positional/);
  });

  it('a usage error: exit 2, message and hint, no stack trace', async () => {
    const run = await runCli(['doctor', 'http://127.0.0.1:1/', '--origin', 'localhost:5173']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--origin "localhost:5173" has no scheme; write it like http:\/\/localhost:5173/);
    assert.match(run.stderr, /cors-safety --help/);
    assert.equal(hasStackTrace(run.stderr), false);
  });
});
