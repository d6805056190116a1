/**
 * The three browser engines the browser tests run in, behind one small driver interface:
 * - Chromium: Debian's `chromium`, driven by `playwright-core` (browser-chromium.ts);
 * - Firefox: Debian's `firefox-esr`, driven by `puppeteer-core` 24 over WebDriver BiDi
 *   (browser-firefox.ts);
 * - WebKit: WebKitGTK's MiniBrowser through Debian's `WebKitWebDriver` (package
 *   `webkit2gtk-driver`), driven by `webdriverio` under `Xvfb` (browser-webkit.ts).
 *
 * Nothing is downloaded: each engine is a Debian package. A missing engine skips its tests with
 * a loud warning, unless `CORS_SAFETY_REQUIRE_BROWSER=1` (set by `.ci/run`), which turns the
 * absence into a failure. Each test file launches each engine once and runs the engines one after
 * another (a `describe` per engine), never at the same time.
 */
import { accessSync, constants } from 'node:fs';
import { warnSkipped } from './skip-warning.js';

/** An engine's name, as every browser test names it. */
export type EngineName = 'Chromium' | 'Firefox' | 'WebKit';

/** A console message the browser printed (CORS errors are reported here, not to the page's JS). */
export interface ConsoleLine {
  readonly type: string;
  readonly text: string;
}

/** One page (a fresh context where the engine has them), with its console collected. */
export interface BrowserTab {
  /**
   * Runs `fn(arg)` in the page and resolves with its (awaited, JSON-serialisable) result. `fn` is
   * sent as source text: it must not use anything from the test file's scope.
   */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Navigates this tab to `url` (same context: its cookies stay). */
  goto(url: string): Promise<void>;
  /** Every console line the engine reported for this page so far. */
  readonly console: readonly ConsoleLine[];
  close(): Promise<void>;
}

/** A launched engine. */
export interface EngineDriver {
  readonly engine: EngineName;
  /** Opens `url` in a new page; in WebKit (one window per session) it replaces the previous one. */
  open(url: string): Promise<BrowserTab>;
  close(): Promise<void>;
}

/** Whether an engine can run here, and how to launch it. */
export interface EngineSupport {
  readonly engine: EngineName;
  /** Why the engine's tests cannot run; `undefined` when everything it needs is installed. */
  readonly missing: string | undefined;
  /** `CORS_SAFETY_REQUIRE_BROWSER=1`: a missing engine is a failure, not a skip. */
  readonly required: boolean;
  /** The `skip` option for its tests: `false`, or the reason. */
  readonly skip: string | false;
  launch(): Promise<EngineDriver>;
}

/** Whether `path` is an executable file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const warned = new Set<EngineName>();

/**
 * Builds an engine's support record. When `missing` is set and the engine is not required, prints
 * a loud warning to stderr once per engine per process.
 */
export function engineSupport(
  engine: EngineName,
  suite: string,
  missing: string | undefined,
  launch: () => Promise<EngineDriver>,
): EngineSupport {
  const required = process.env.CORS_SAFETY_REQUIRE_BROWSER === '1';
  if (missing !== undefined && !required && !warned.has(engine)) {
    warned.add(engine);
    warnSkipped(`${engine.toUpperCase()} BROWSER TESTS SKIPPED (${suite})`, [
      `${missing}.`,
      `The real-browser proof of CORS and WebSocket behaviour in ${engine} did NOT run on this machine.`,
      'CI runs .ci/run, which installs every engine and sets CORS_SAFETY_REQUIRE_BROWSER=1.',
    ]);
  }
  const skip = missing !== undefined && !required ? `skipped: ${missing}` : false;
  return {
    engine,
    missing,
    required,
    skip,
    launch: () => {
      if (missing !== undefined) return Promise.reject(new Error(requiredBrowserMessage(engine, missing)));
      return launch();
    },
  };
}

/** The message a required-but-missing engine fails with. */
export function requiredBrowserMessage(engine: EngineName, missing: string): string {
  return `CORS_SAFETY_REQUIRE_BROWSER=1 but the ${engine} tests cannot run: ${missing}`;
}

/**
 * Serialises `fn(arg)` as an expression, so every driver runs the same source text (tsx has
 * compiled `fn`; it must be self-contained).
 */
export function callExpression<A>(fn: (arg: A) => unknown, arg: A): string {
  return `(${fn.toString()})(${JSON.stringify(arg) ?? 'undefined'})`;
}

/** Waits for a console line matching `pattern` (engines print CORS errors a moment after the rejection). */
export async function consoleLine(
  tab: BrowserTab,
  pattern: RegExp,
  timeoutMs: number,
): Promise<string | { readonly missing: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = tab.console.find((line) => pattern.test(line.text));
    if (found !== undefined) return found.text;
    if (Date.now() > deadline)
      return {
        missing: `no console line matching ${String(pattern)}; got:\n${tab.console
          .map((line) => `  ${line.type}: ${line.text}`)
          .join('\n')}`,
      };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
