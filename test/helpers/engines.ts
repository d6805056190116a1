/**
 * Runs a browser suite in every engine: one `describe` per engine, engines one after another,
 * each engine launched once for the file (in `before`) and closed in `after`. Every test name ends
 * with the engine's name in brackets, so the output names the engine of every browser test.
 * The time each engine took in the file (launch to close) is printed to stderr.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromiumEngine } from './browser-chromium.js';
import { firefoxEngine } from './browser-firefox.js';
import { webkitEngine } from './browser-webkit.js';
import {
  requiredBrowserMessage,
  type BrowserTab,
  type EngineDriver,
  type EngineName,
  type EngineSupport,
} from './browsers.js';

export type { BrowserTab, EngineDriver, EngineName };

/** Chromium, Firefox and WebKit, in the order the suites run them. */
export function browserEngines(suite: string): EngineSupport[] {
  const all = [chromiumEngine(suite), firefoxEngine(suite), webkitEngine(suite)];
  // While developing: `CORS_SAFETY_BROWSERS=WebKit` runs one engine. CI never sets it.
  const wanted = process.env.CORS_SAFETY_BROWSERS?.split(',').map((name) => name.trim().toLowerCase());
  if (wanted === undefined || wanted.join('') === '') return all;
  if (process.env.CORS_SAFETY_REQUIRE_BROWSER === '1')
    throw new Error('CORS_SAFETY_BROWSERS cannot narrow the engines when CORS_SAFETY_REQUIRE_BROWSER=1');
  return all.filter((support) => wanted.includes(support.engine.toLowerCase()));
}

/** What a suite's body gets for one engine. */
export interface EngineRun {
  readonly engine: EngineName;
  /** The `skip` option for this engine's tests. */
  readonly skip: string | false;
  /** The launched engine (only inside tests and hooks that run after the launch). */
  driver(): EngineDriver;
  /** `it` named for this engine and skipped with it. */
  it(name: string, fn: () => Promise<void> | void): void;
  /** `before` that does not run when the engine is skipped. */
  before(fn: () => Promise<void> | void): void;
  /** Opens `url` in a new tab, runs `fn`, always closes the tab. */
  withTab<T>(url: string, fn: (tab: BrowserTab) => Promise<T>): Promise<T>;
}

/**
 * Declares `title [Engine]` for each engine, with `body` run once per engine to declare its tests.
 * `only` restricts the engines (for engine-specific cases).
 */
export function describeEngines(
  suite: string,
  title: string,
  options: { readonly timeout: number; readonly only?: readonly EngineName[] | undefined },
  body: (run: EngineRun) => void,
): void {
  for (const support of browserEngines(suite)) {
    if (options.only !== undefined && !options.only.includes(support.engine)) continue;
    describe(`${title} [${support.engine}]`, { timeout: options.timeout }, () => {
      let driver: EngineDriver | undefined;
      let started = 0;
      const skip = support.skip;
      if (support.required && support.missing !== undefined) {
        const missing = support.missing;
        it(`${support.engine} is available (CORS_SAFETY_REQUIRE_BROWSER=1)`, () =>
          assert.fail(requiredBrowserMessage(support.engine, missing)));
      }
      before(async () => {
        if (skip !== false) return;
        started = Date.now();
        driver = await support.launch();
      });
      after(async () => {
        await driver?.close();
        if (started > 0)
          process.stderr.write(
            `browser timing: ${suite} [${support.engine}]: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
          );
      });
      const run: EngineRun = {
        engine: support.engine,
        skip,
        driver: () => driver ?? assert.fail(`${support.engine} was not launched`),
        it: (name, fn) => {
          it(`${name} [${support.engine}]`, { skip }, fn);
        },
        before: (fn) => {
          before(async () => {
            if (skip === false) await fn();
          });
        },
        withTab: async (url, fn) => {
          const tab = await run.driver().open(url);
          try {
            return await fn(tab);
          } finally {
            await tab.close();
          }
        },
      };
      body(run);
    });
  }
}
