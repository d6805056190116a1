/**
 * The client-side fixes, followed in a real browser (issue #22): for the findings whose fix is not
 * a server change (Local Network Access, cross-site cookies, mixed content, a same-origin probe),
 * the doctor's finding and printed fix are read, Chromium shows the failure the finding predicts,
 * then does exactly what the fix says (grant the permission, open the page at the named host,
 * call the API over https, probe with the real page origin) and shows the outcome it promises.
 *
 * Chromium is Debian's, driven by playwright-core. Names resolve to loopback inside the browser
 * (`--host-resolver-rules`) and in the doctor (`--resolve`); one page port is treated as a public
 * address (`--ip-address-space-overrides`) so that Local Network Access applies on one machine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { run } from '../../src/cli/run.js';
import { CHROMIUM_FLAGS, chromiumSupport, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { findingCodes, findingOf, type DoctorJson } from './cli-helper.js';

const support = chromiumSupport('test/cli/fixes-work-browser.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

/** Test-only certificate for api.example.test and app.example.test (not a secret). */
const TLS = {
  cert: readFileSync(new URL('../fixtures/cli-tls-api-cert.pem', import.meta.url)),
  key: readFileSync(new URL('../fixtures/cli-tls-api-key.pem', import.meta.url)),
};

async function doctor(args: readonly string[]): Promise<DoctorJson> {
  let stdout = '';
  await run(['doctor', '--json', '--timeout', String(scaled(5000)), ...args], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
  });
  return JSON.parse(stdout) as DoctorJson;
}

/** What a page's fetch() ended in. */
type Outcome = { ok: true; status: number; body: string } | { ok: false; error: string };

/** fetch() from the page, given up after a scaled limit (a held request must not hang the test). */
function pageFetch(page: Page, url: string, credentials: 'include' | 'same-origin' = 'same-origin'): Promise<Outcome> {
  return page.evaluate(
    async ({ url, credentials, limit }) => {
      const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), limit));
      try {
        const res = await Promise.race([fetch(url, { credentials }), timeout]);
        return { ok: true as const, status: res.status, body: await res.text() };
      } catch (err) {
        return { ok: false as const, error: String(err) };
      }
    },
    { url, credentials, limit: scaled(10_000) },
  );
}

/** The API: grants the origins in `allowed` with credentials; `/login` sets a SameSite=Lax session cookie. */
function apiHandler(allowed: Set<string>, hits: string[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    hits.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.origin ?? '-'}`);
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin !== undefined && allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.url === '/login') res.setHeader('Set-Cookie', 'session=s1; SameSite=Lax; Path=/; HttpOnly');
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ session: /(?:^|; )session=s1(?:;|$)/.test(req.headers.cookie ?? '') }));
  };
}

const html = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>page</title>');
};

describe('client-side fixes, followed in Chromium', { skip }, () => {
  const allowed = new Set<string>();
  const hits: string[] = [];
  let api: Running;
  let apiTls: Running;
  let page: Running;
  let publicPage: Running;
  let insecurePublicPage: Running;
  let localPage: Running;
  let browser: Browser;
  let context: BrowserContext | undefined;

  before(async () => {
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    api = await listen(http.createServer(apiHandler(allowed, hits)));
    apiTls = await listen(https.createServer(TLS, apiHandler(allowed, hits)));
    page = await listen(http.createServer(html));
    publicPage = await listen(https.createServer(TLS, html));
    insecurePublicPage = await listen(http.createServer(html));
    localPage = await listen(https.createServer(TLS, html));
    browser = await chromium.launch({
      executablePath: support.executablePath,
      headless: true,
      timeout: scaled(30_000),
      args: [
        ...CHROMIUM_FLAGS,
        '--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP *.other.test 127.0.0.1',
        `--ip-address-space-overrides=127.0.0.1:${publicPage.port}=public,127.0.0.1:${insecurePublicPage.port}=public`,
      ],
    });
  });
  after(async () => {
    await browser?.close();
    for (const server of [api, apiTls, page, publicPage, insecurePublicPage, localPage]) await server?.close();
  });

  /** A fresh context (no cookies, no permissions), closed after the test. */
  async function open(url: string): Promise<{ tab: Page; console: string[] }> {
    await context?.close();
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    context.setDefaultTimeout(scaled(10_000));
    const tab = await context.newPage();
    const lines: string[] = [];
    tab.on('console', (message) => lines.push(message.text()));
    await tab.goto(url);
    return { tab, console: lines };
  }
  after(() => context?.close());

  it('local-network-access: allowing "Local network access" for the page, as the fix says, lets the call through', async () => {
    const pageOrigin = `https://app.example.test:${publicPage.port}`;
    allowed.add(pageOrigin);
    const url = `${api.url}/items`;
    const json = await doctor([url, '--origin', pageOrigin]);
    assert.equal(json.verdict, 'allowed');
    assert.deepEqual(findingCodes(json), ['local-network-access:public-to-loopback']);
    const fix = findingOf(json, 'local-network-access').fix;
    assert.match(fix, /^The fix is on the client side: allow "Local network access" for the page's site/);
    const quoted = /console then says "([^"]+)" when refused/.exec(fix)?.[1];
    assert.ok(quoted !== undefined, fix);

    const { tab, console } = await open(`${pageOrigin}/`);
    const reached = hits.length;
    const refused = await pageFetch(tab, url);
    assert.equal(refused.ok, false);
    assert.ok(
      console.some((line) => line.includes(quoted)),
      `the fix quotes Chrome's message; the console said: ${console.join('\n')}`,
    );
    assert.equal(hits.length, reached, 'nothing reached the server');

    await context?.grantPermissions(['local-network-access'], { origin: pageOrigin });
    const granted = await pageFetch(tab, url);
    assert.deepEqual(granted, { ok: true, status: 200, body: '{"session":false}' });
  });

  it('local-network-access from an http page: refused outright, as the cause says; the fix (https) lets it ask', async () => {
    const pageOrigin = `http://app.example.test:${insecurePublicPage.port}`;
    allowed.add(pageOrigin);
    const url = `${api.url}/items`;
    const json = await doctor([url, '--origin', pageOrigin]);
    const found = json.findings.find((f) => f.code === 'local-network-access');
    assert.match(
      found?.cause ?? '',
      /not served over https, and only a secure context may ask: this request is refused outright/,
    );
    assert.match(found?.fix ?? '', /serve the page over https so it can ask/);

    const { tab, console } = await open(`${pageOrigin}/`);
    assert.equal((await pageFetch(tab, url)).ok, false);
    assert.ok(
      console.some((line) => line.includes('not a secure context')),
      console.join('\n'),
    );
    // No permission can help an insecure page; the https page of the previous test could be granted it.
    await assert.rejects(
      context?.grantPermissions(['local-network-access'], { origin: pageOrigin }) ??
        Promise.reject(new Error('no context')),
      /can't be granted/,
    );
    assert.equal((await pageFetch(tab, url)).ok, false);
  });

  it('cookies-cross-site: opening the page at the host the fix names sends the SameSite=Lax session cookie', async () => {
    const pageOrigin = `http://localhost:${page.port}`;
    allowed.add(pageOrigin);
    const json = await doctor([`${api.url}/me`, '--origin', pageOrigin, '--credentials']);
    assert.deepEqual(findingCodes(json), ['cookies-cross-site:loopback-names']);
    const fixed = /open the page at (\S+) or call the API/.exec(findingOf(json, 'cookies-cross-site').fix)?.[1];
    assert.equal(fixed, `http://127.0.0.1:${page.port}`);
    allowed.add(fixed);

    const { tab } = await open(`${api.url}/login`); // the user logs in: the API sets its session cookie
    await tab.goto(`${pageOrigin}/`);
    assert.deepEqual(await pageFetch(tab, `${api.url}/me`, 'include'), {
      ok: true,
      status: 200,
      body: '{"session":false}',
    });
    await tab.goto(`${fixed}/`);
    assert.deepEqual(await pageFetch(tab, `${api.url}/me`, 'include'), {
      ok: true,
      status: 200,
      body: '{"session":true}',
    });
    assert.deepEqual(findingCodes(await doctor([`${api.url}/me`, '--origin', fixed, '--credentials'])), []);
  });

  it("cookies-cross-site (sites): serving the page on the API's site, as the fix says, sends the session cookie", async () => {
    const apiUrl = `http://api.example.test:${api.port}`;
    const pageOrigin = `http://app.other.test:${page.port}`;
    const sameSite = `http://app.example.test:${page.port}`;
    allowed.add(pageOrigin).add(sameSite);
    const resolve = ['--resolve', `api.example.test:${api.port}:127.0.0.1`, '--credentials'];
    const json = await doctor([`${apiUrl}/me`, '--origin', pageOrigin, ...resolve]);
    assert.ok(findingCodes(json).includes('cookies-cross-site:sites'), findingCodes(json).join());
    assert.match(
      findingOf(json, 'cookies-cross-site').fix,
      /^Serve the page and the API on one site \(subdomains of one domain\)/,
    );

    const { tab } = await open(`${apiUrl}/login`);
    await tab.goto(`${pageOrigin}/`);
    assert.deepEqual(await pageFetch(tab, `${apiUrl}/me`, 'include'), {
      ok: true,
      status: 200,
      body: '{"session":false}',
    });
    await tab.goto(`${sameSite}/`);
    assert.deepEqual(await pageFetch(tab, `${apiUrl}/me`, 'include'), {
      ok: true,
      status: 200,
      body: '{"session":true}',
    });
    const after = await doctor([`${apiUrl}/me`, '--origin', sameSite, ...resolve]);
    assert.equal(findingCodes(after).includes('cookies-cross-site:sites'), false, findingCodes(after).join());
  });

  it('mixed-content: the same API served over https, as the fix says, is reachable from the https page', async () => {
    const pageOrigin = `https://app.localhost:${localPage.port}`; // loopback, as in the doctor
    allowed.add(pageOrigin);
    const plainUrl = `http://api.example.test:${api.port}/items`;
    const json = await doctor([
      plainUrl,
      '--origin',
      pageOrigin,
      '--resolve',
      `api.example.test:${api.port}:127.0.0.1`,
    ]);
    assert.equal(json.verdict, 'blocked');
    assert.deepEqual(findingCodes(json), ['mixed-content']);
    assert.match(findingOf(json, 'mixed-content').fix, /^Serve the API over https/);

    const { tab, console } = await open(`${pageOrigin}/`);
    const blocked = await pageFetch(tab, plainUrl);
    assert.equal(blocked.ok, false);
    assert.ok(
      console.some((line) => /Mixed Content/.test(line)),
      console.join('\n'),
    );
    const secure = await pageFetch(tab, `https://api.example.test:${apiTls.port}/items`);
    assert.deepEqual(secure, { ok: true, status: 200, body: '{"session":false}' });
  });

  it("same-origin: the browser allows it without CORS; with the real page's --origin the doctor predicts the browser", async () => {
    // The API grants nobody: a page it serves itself still reads it, a page elsewhere does not.
    const bare = await listen(
      http.createServer((req, res) => (req.url === '/' ? html(req, res) : res.end('{"items":[]}'))),
    );
    try {
      const same = await doctor([`${bare.url}/items`, '--origin', bare.url]);
      assert.deepEqual(findingCodes(same), ['same-origin']);
      assert.equal(same.verdict, 'allowed');
      assert.match(findingOf(same, 'same-origin').fix, /with --origin/);
      const own = await open(`${bare.url}/`);
      assert.deepEqual(await pageFetch(own.tab, `${bare.url}/items`), { ok: true, status: 200, body: '{"items":[]}' });

      const realPage = `http://127.0.0.1:${page.port}`;
      const cross = await doctor([`${bare.url}/items`, '--origin', realPage]);
      assert.equal(cross.verdict, 'blocked');
      assert.deepEqual(findingCodes(cross), ['no-allow-origin:not-granted']);
      const other = await open(`${realPage}/`);
      assert.equal((await pageFetch(other.tab, `${bare.url}/items`)).ok, false);
    } finally {
      await bare.close();
    }
  });
});
