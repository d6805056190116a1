/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by
 * `playwright-core` (no browser download). When the executable is missing the browser tests are
 * skipped with a loud warning, unless `CORS_SAFETY_REQUIRE_BROWSER=1` (set by `.ci/run`), which
 * turns the absence into a failure.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { callExpression, engineSupport, type EngineDriver, type EngineSupport } from './browsers.js';
import { warnSkipped } from './skip-warning.js';
import { scaled } from './time.js';

/** Flags from issue #6: headless, no sandbox (containers), nothing that talks to Google. */
export const CHROMIUM_FLAGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

/** Whether the browser tests can run here, and what to do if not. */
export interface ChromiumSupport {
  readonly executablePath: string;
  /** `CORS_SAFETY_REQUIRE_BROWSER=1`: a missing browser is a failure, not a skip. */
  readonly required: boolean;
  /** Why the browser tests are skipped; `undefined` when Chromium is there. */
  readonly missing: string | undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let warned = false;

/**
 * Finds Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). When it is missing and not
 * required, prints a loud warning to stderr once per process.
 */
export function chromiumSupport(suite: string): ChromiumSupport {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const required = process.env.CORS_SAFETY_REQUIRE_BROWSER === '1';
  const missing = isExecutable(executablePath)
    ? undefined
    : `Chromium not found at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
  if (missing !== undefined && !required && !warned) {
    warned = true;
    warnSkipped(`BROWSER TESTS SKIPPED (${suite})`, [
      `${missing}.`,
      'The real-browser proof of CORS and WebSocket behaviour did NOT run on this machine.',
      'CI runs .ci/run, which installs Chromium and sets CORS_SAFETY_REQUIRE_BROWSER=1.',
    ]);
  }
  return { executablePath, required, missing };
}

/** The message a required-but-missing browser fails with. */
export function requiredBrowserMessage(support: ChromiumSupport): string {
  return `CORS_SAFETY_REQUIRE_BROWSER=1 but the browser tests cannot run: ${support.missing ?? 'unknown reason'}`;
}

/** Launches one headless Chromium; close it in `after`. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_FLAGS], timeout: scaled(30_000) });
}

/** A console message the browser printed (CORS errors are reported here, not to the page's JS). */
export interface ConsoleLine {
  readonly type: string;
  readonly text: string;
}

/** A page in a fresh context, with every console line it prints collected. */
export interface CollectingPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly console: ConsoleLine[];
}

/**
 * Opens `url` in a new context (no shared cookies, cache or preflight cache with other groups)
 * and collects its console output.
 */
export async function openPage(browser: Browser, url: string): Promise<CollectingPage> {
  const context = await browser.newContext();
  context.setDefaultTimeout(scaled(10_000));
  const page = await context.newPage();
  const lines: ConsoleLine[] = [];
  page.on('console', (message) => lines.push({ type: message.type(), text: message.text() }));
  await page.goto(url);
  return { context, page, console: lines };
}

/**
 * Chromium behind the shared driver interface (browsers.ts): one browser per launch, a fresh
 * context (cookies, cache, preflight cache) per page.
 */
export function chromiumEngine(suite: string): EngineSupport {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const missing = isExecutable(executablePath)
    ? undefined
    : `Chromium not found at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
  return engineSupport('Chromium', suite, missing, async (): Promise<EngineDriver> => {
    const browser = await launchChromium(executablePath);
    return {
      engine: 'Chromium',
      async open(url) {
        const tab = await openPage(browser, url);
        return {
          console: tab.console,
          goto: async (next) => {
            await tab.page.goto(next);
          },
          evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) => tab.page.evaluate<R>(callExpression(fn, arg)),
          close: () => tab.context.close(),
        };
      },
      close: () => browser.close(),
    };
  });
}
