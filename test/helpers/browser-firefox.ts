/**
 * Headless Firefox for the browser tests: Debian's `firefox-esr` driven by `puppeteer-core` 24
 * over WebDriver BiDi (no geckodriver, no browser download; puppeteer-core never downloads).
 * Firefox reports CORS and WebSocket failures as page errors over BiDi (`log.entryAdded` of type
 * `javascript`), so both the `console` and the `pageerror` events are collected.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { callExpression, engineSupport, isExecutable, type ConsoleLine, type EngineSupport } from './browsers.js';
import { scaled } from './time.js';

/**
 * Preferences: nothing that talks to Mozilla, no first-run pages. `network.cookie.sameSite.laxByDefault`
 * is left at the ESR default.
 */
const FIREFOX_PREFS: Readonly<Record<string, unknown>> = Object.freeze({
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
});

async function launchFirefox(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath,
    protocol: 'webDriverBiDi',
    headless: true,
    timeout: scaled(60_000),
    protocolTimeout: scaled(60_000),
    extraPrefsFirefox: { ...FIREFOX_PREFS },
  });
}

/**
 * Firefox behind the shared driver interface (browsers.ts): one browser per launch, a fresh
 * BiDi user context (cookies, cache) per page.
 */
export function firefoxEngine(suite: string): EngineSupport {
  const executablePath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  const missing = isExecutable(executablePath)
    ? undefined
    : `Firefox not found at ${executablePath}: install it (apt-get install -y firefox-esr) or set FIREFOX_PATH`;
  return engineSupport('Firefox', suite, missing, async () => {
    const browser = await launchFirefox(executablePath);
    return {
      engine: 'Firefox',
      async open(url) {
        const context = await browser.createBrowserContext();
        const page = await context.newPage();
        page.setDefaultTimeout(scaled(10_000));
        const lines: ConsoleLine[] = [];
        page.on('console', (message) => lines.push({ type: message.type(), text: message.text() }));
        page.on('pageerror', (error: unknown) =>
          lines.push({ type: 'error', text: error instanceof Error ? error.message : String(error) }),
        );
        await page.goto(url);
        return {
          console: lines,
          goto: async (next) => {
            await page.goto(next);
          },
          evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) =>
            page.evaluate(callExpression(fn, arg)) as Promise<R>,
          close: () => context.close(),
        };
      },
      close: () => browser.close(),
    };
  });
}
