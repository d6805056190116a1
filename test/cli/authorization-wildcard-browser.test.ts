/**
 * Issue #22, case 9, checked against a real browser: a preflight answered with
 * `Access-Control-Allow-Headers: *` for a request that sends `Authorization` (no credentials).
 * The Fetch standard says `*` does not cover Authorization; Chromium lets it through (with a
 * DevTools deprecation issue). The doctor must predict what the browser does: ALLOWED, with the
 * `authorization-wildcard` warning.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { run } from '../../src/cli/run.js';
import { chromiumSupport, launchChromium, openPage, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { listen, type Running } from '../helpers/listen.js';
import type { DoctorJson } from './cli-helper.js';

const support = chromiumSupport('test/cli/authorization-wildcard-browser.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

describe('Access-Control-Allow-Headers: * with Authorization, in Chromium and in the doctor', { skip }, () => {
  let browser: Browser;
  let api: Running;
  let page: Running;
  before(async () => {
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    page = await listen(http.createServer((_req, res) => res.end('<!doctype html><title>page</title>')));
    api = await listen(
      http.createServer((req, res) => {
        if (req.headers.origin === page.url) res.setHeader('Access-Control-Allow-Origin', page.url);
        res.setHeader('Vary', 'Origin');
        if (req.method === 'OPTIONS') {
          res.setHeader('Access-Control-Allow-Headers', '*');
          res.writeHead(204).end();
          return;
        }
        res.end(req.headers.authorization === 'Bearer t' ? 'authorized' : 'no authorization');
      }),
    );
    browser = await launchChromium(support.executablePath);
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await page?.close();
  });

  it('Chromium sends the request with its Authorization, and the doctor predicts ALLOWED with the warning', async () => {
    // The page runs on 127.0.0.1 and calls localhost: another origin.
    const apiUrl = `http://localhost:${api.port}/me`;
    const opened = await openPage(browser, `${page.url}/`);
    try {
      const body = await opened.page.evaluate(
        async (url) => (await fetch(url, { headers: { Authorization: 'Bearer t' } })).text(),
        apiUrl,
      );
      assert.equal(body, 'authorized');
    } finally {
      await opened.context.close();
    }
    let stdout = '';
    const code = await run(['doctor', apiUrl, '--origin', page.url, '-H', 'Authorization: Bearer t', '--json'], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
    });
    const json = JSON.parse(stdout) as DoctorJson;
    assert.equal(json.verdict, 'allowed');
    assert.equal(code, 0);
    assert.deepEqual(
      json.findings.map((f) => `${f.code}:${f.severity}`),
      ['authorization-wildcard:warning'],
    );
  });
});
