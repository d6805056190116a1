/**
 * `doctor --credentials` says when CORS passes but the cookies do not travel: a page on
 * `localhost` calling an API on `127.0.0.1` (different sites, even on one machine), or any page on
 * another site. One site (subdomains of one domain, the same host on another port) stays quiet.
 * End to end with the real CLI against a real server allowing the page with credentials.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import express from 'express';
import { crossSiteCookieFinding } from '../../src/cli/cookie-site.js';
import { corsSafety } from '../../src/index.js';
import { listen } from '../helpers/listen.js';
import { scaled } from '../helpers/time.js';
import { cleanEnv, hasStackTrace, parseDoctorJson, runCli } from './cli-helper.js';

describe('crossSiteCookieFinding', () => {
  const cases: [string, string, string | undefined][] = [
    ['http://localhost:5173', 'http://127.0.0.1:8000/me', 'loopback-names'],
    ['http://127.0.0.1:5173', 'http://localhost:8000/me', 'loopback-names'],
    ['http://[::1]:5173', 'http://localhost:8000/me', 'loopback-names'],
    ['https://app.example.com', 'https://api.other.example/me', 'sites'],
    ['http://app.example.com', 'https://api.example.com/me', 'sites'],
    ['https://a.github.io', 'https://b.github.io/me', 'sites'],
    ['http://localhost:5173', 'http://localhost:8000/me', undefined],
    ['https://app.example.com', 'https://api.example.com/me', undefined],
    ['https://app.example.co.uk', 'https://api.example.co.uk/me', undefined],
    ['null', 'http://localhost:8000/me', undefined],
  ];
  for (const [origin, url, detail] of cases) {
    it(`${origin} -> ${url}: ${detail ?? 'one site'}`, () => {
      const finding = crossSiteCookieFinding(origin, new URL(url));
      assert.equal(finding?.detail, detail);
      if (finding !== undefined) {
        assert.equal(finding.code, 'cookies-cross-site');
        assert.equal(finding.severity, 'warning');
        assert.match(finding.cause, /SameSite=Lax/);
      }
    });
  }

  it('the loopback fix names one host for both, ports kept', () => {
    const finding = crossSiteCookieFinding('http://localhost:5173', new URL('http://127.0.0.1:8000/me'));
    assert.match(finding?.cause ?? '', /localhost and 127\.0\.0\.1 are different sites/);
    assert.match(
      finding?.fix ?? '',
      /open the page at http:\/\/127\.0\.0\.1:5173 or call the API at http:\/\/localhost:8000/,
    );
  });
});

describe('cors-safety doctor --credentials, end to end', () => {
  it(
    'CORS passes from http://localhost:<port> to 127.0.0.1, and the cookie warning says why the session is missing',
    { timeout: scaled(30_000) },
    async () => {
      const page = 'http://localhost:5173';
      const app = express();
      app.use(corsSafety({ env: {} })); // the development default: loopback pages, with credentials
      app.get('/me', (_req, res) => {
        res.json({ user: null });
      });
      const server = await listen(http.createServer(app));
      try {
        const args = ['doctor', `${server.url}/me`, '--origin', page, '--credentials', '--timeout', '3000'];
        const json = await runCli([...args, '--json'], cleanEnv());
        assert.equal(hasStackTrace(json.stderr), false, json.stderr);
        const parsed = parseDoctorJson(json.stdout);
        assert.equal(parsed.verdict, 'allowed');
        assert.deepEqual(
          parsed.findings.map((f) => [f.code, f.severity]),
          [['cookies-cross-site', 'warning']],
        );
        const text = await runCli(args, cleanEnv());
        assert.match(text.stdout, /cookies-cross-site/);
        assert.match(text.stdout, /localhost and 127\.0\.0\.1 are different sites/);
        const quiet = await runCli(
          ['doctor', `${server.url}/me`, '--origin', 'http://127.0.0.1:5173', '--credentials', '--json'],
          cleanEnv(),
        );
        assert.deepEqual(parseDoctorJson(quiet.stdout).findings, []);
      } finally {
        await server.close();
      }
    },
  );
});
