/**
 * A real Next.js 15 App Router app (test/fixtures/next-app) whose route handlers are wrapped with
 * withCorsSafety() from the built `cors-safety/fetch`: built with `next build` and started with
 * `next start` on a free loopback port by this test, then called by headless Chromium from a page
 * on an allowed origin and from one on a denied origin. The build goes to a temporary folder inside
 * the repository (so `cors-safety/fetch` resolves through the package's self-reference to dist/),
 * removed when the file ends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumSupport, launchChromium, openPage, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { ROOT, assertBuilt } from '../examples/child.js';

const support = chromiumSupport('test/browser/next.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;
const NEXT_BIN = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
const ENV: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
delete ENV.NODE_V8_COVERAGE;
delete ENV.NODE_OPTIONS;

/** Runs `next <args>` in `dir`; resolves with its output when it exits 0. */
function nextCommand(dir: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], {
      cwd: dir,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`next ${args.join(' ')} exited ${code}:\n${output}`));
    });
  });
}

/** Starts `next start` on a free loopback port; resolves with the process and its base URL. */
function nextStart(dir: string, allowedOrigin: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', '0', '-H', '127.0.0.1'], {
      cwd: dir,
      env: { ...ENV, ALLOWED_ORIGIN: allowedOrigin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`next start printed no address:\n${output}`));
    }, scaled(60_000));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Next prints "- Local: http://127.0.0.1:<port>" with the port it got for -p 0.
      const match = /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined && /Ready/.test(output)) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`next start exited ${code}:\n${output}`)));
  });
}

/** A page server: the origin a browser page is on. */
function pageServer(): Promise<Running> {
  return listen(
    http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>page</p>')),
  );
}

/** What a page's fetch() of the Next route gives: status and body, or the TypeError of a CORS block. */
const CALL_FROM_PAGE = async ([url, method]: [string, string]): Promise<string> => {
  try {
    const init: RequestInit =
      method === 'PUT'
        ? { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x' }) }
        : { method };
    const response = await fetch(url, init);
    return `${response.status} ${await response.text()}`;
  } catch (err) {
    return `blocked ${(err as Error).name}`;
  }
};

describe('Next.js App Router route handlers under withCorsSafety(), from Chromium', { skip }, () => {
  let dir = '';
  let next: { child: ChildProcess; url: string } | undefined;
  let allowedPage: Running;
  let deniedPage: Running;
  let browser: Browser;
  let buildSeconds = 0;

  before(async () => {
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    assertBuilt(['corsSafety']);
    allowedPage = await pageServer();
    deniedPage = await pageServer();
    dir = mkdtempSync(join(ROOT, '.next-app-'));
    cpSync(join(ROOT, 'test', 'fixtures', 'next-app'), dir, { recursive: true });
    const started = Date.now();
    await nextCommand(dir, ['build'], scaled(600_000));
    buildSeconds = (Date.now() - started) / 1000;
    next = await nextStart(dir, allowedPage.url);
    browser = await launchChromium(support.executablePath);
  });

  after(async () => {
    await browser?.close();
    next?.child.kill('SIGTERM');
    await allowedPage?.close();
    await deniedPage?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    if (buildSeconds > 0) process.stderr.write(`next build took ${buildSeconds.toFixed(1)} s\n`);
  });

  async function callFrom(page: Running, method: string): Promise<string> {
    const opened = await openPage(browser, page.url);
    try {
      return await opened.page.evaluate(CALL_FROM_PAGE, [`${next?.url}/api/items`, method] as [string, string]);
    } finally {
      await opened.context.close();
    }
  }

  it('allowed origin: GET reads the JSON, PUT passes the OPTIONS preflight, a thrown error is a readable 500', async () => {
    assert.equal(await callFrom(allowedPage, 'GET'), '200 {"items":["a"]}');
    assert.equal(await callFrom(allowedPage, 'PUT'), '201 {"saved":"x"}');
    const failed = await callFrom(allowedPage, 'DELETE');
    assert.match(failed, /^500 /);
    assert.doesNotMatch(failed, /hunter2/);
  });

  it('denied origin: every call is blocked by the browser (no grant on the answer or the preflight)', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'])
      assert.equal(await callFrom(deniedPage, method), 'blocked TypeError');
  });

  it('the preflight is answered by the policy: 204 with the grant, 403 for a denied origin', async () => {
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${next?.url}/api/items`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
      });
    const allowed = await preflight(allowedPage.url);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), allowedPage.url);
    const denied = await preflight(deniedPage.url);
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });
});
