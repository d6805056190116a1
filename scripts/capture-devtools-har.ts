/**
 * Makes the HAR fixtures of `cors-safety doctor --har` with Chromium's own DevTools exporter, not
 * with code of ours: Debian's Chromium (driven by puppeteer-core over CDP) serves the DevTools
 * frontend bundled in the package on its remote-debugging port (`/devtools/inspector.html`). The
 * frontend is opened in a second tab and attached to the page's target before the page loads, so
 * its network log records every request; then the page (one origin) calls an API (another origin)
 * once per failure of scripts/diagnose-scenarios.ts, and the Network panel's own export,
 * `NetworkLogView.exportAll()` (what the "Export HAR (sanitized)..." button and the "Export HAR
 * (with sensitive data)..." menu item run), writes each file as a download that is saved here:
 *
 *   test/fixtures/diagnose/chromium-devtools.har       the sanitized export (the button's default);
 *   test/fixtures/diagnose/chromium-devtools-full.har  the export with sensitive data: the page's
 *                                                      own cookie and an `Authorization` header of a
 *                                                      same-origin call are in it (fake values).
 *
 * Nothing in the files is edited but the random ports, replaced by 5173 (page), 3000 (API) and 3001,
 * so the fixtures read like a developer's. Run: node --import tsx scripts/capture-devtools-har.ts
 * (test/cli/diagnose-har-live.test.ts runs exportDevtoolsHars() against the installed Chromium).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type CDPSession, type Page } from 'puppeteer-core';
import { harRig } from './har-rig.js';

const OUT = new URL('../test/fixtures/diagnose/', import.meta.url);
const TIMEOUT = 60_000;
/**
 * The frontend's own modules, imported by the inspector page itself: the same URLs as its bundle
 * loads, hence the same module instances (the panel and network log it is showing).
 */
const FRONTEND_MODULE = {
  network: '/devtools/panels/network/network.js',
  logs: '/devtools/models/logs/logs.js',
} as const;

/** Opens the bundled DevTools frontend on `target` and waits until its Network panel is up. */
async function openFrontend(browser: Browser, port: string, targetId: string, timeoutMs: number): Promise<Page> {
  const frontend = await browser.newPage();
  const ws = `127.0.0.1:${port}/devtools/page/${targetId}`;
  await frontend.goto(`http://127.0.0.1:${port}/devtools/inspector.html?ws=${ws}&panel=network`);
  await frontend.waitForFunction(
    `(async () => {
    const network = await import('${FRONTEND_MODULE.network}');
    return network.NetworkPanel.NetworkPanel.instance()?.networkLogView !== undefined;
  })()`,
    { timeout: timeoutMs, polling: 200 },
  );
  return frontend;
}

/**
 * The frontend records once its network model is enabled on the target, some time after the
 * inspector page loads: a navigation it sees proves it (tried again until it does). The page's own
 * navigation then clears the log (DevTools' default, "Preserve log" off), as when a developer opens
 * DevTools and reloads.
 */
async function untilRecording(frontend: Page, target: Page, probeUrl: string, timeoutMs: number): Promise<void> {
  const seen = `(async () => {
    const logs = await import('${FRONTEND_MODULE.logs}');
    return logs.NetworkLog.NetworkLog.instance().requests().some((request) => request.url() === '${probeUrl}');
  })()`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await target.goto(probeUrl);
    try {
      await frontend.waitForFunction(seen, { timeout: 2_000, polling: 100 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/**
 * Waits until the browser reports a download finished (`Browser.downloadProgress`, state
 * `completed`): the file can exist, empty or partly written, before that. `cancel()` stops
 * waiting (when the export itself failed), so nothing is left listening or pending.
 */
function downloadCompleted(
  browserSession: CDPSession,
  timeoutMs: number,
): { readonly done: Promise<void>; cancel(): void } {
  let stop = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      browserSession.off('Browser.downloadProgress', onProgress);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => {
      finish(new Error(`the HAR download did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    function onProgress(event: { state: string }): void {
      if (event.state === 'completed') finish();
      else if (event.state !== 'inProgress') finish(new Error(`the HAR download ended ${event.state}`));
    }
    browserSession.on('Browser.downloadProgress', onProgress);
    stop = () => {
      finish();
    };
  });
  return { done, cancel: () => stop() };
}

/** Runs the Network panel's export and returns the file it downloads, once the download is complete. */
async function exportHar(
  frontend: Page,
  browserSession: CDPSession,
  downloads: string,
  sanitize: boolean,
  timeoutMs: number,
): Promise<string> {
  for (const name of readdirSync(downloads)) rmSync(join(downloads, name));
  const download = downloadCompleted(browserSession, timeoutMs);
  try {
    // The frontend's page code runs as a string: it is not this file's (Node's) code.
    await frontend.evaluate(`(async () => {
      const network = await import('${FRONTEND_MODULE.network}');
      await network.NetworkPanel.NetworkPanel.instance().networkLogView.exportAll({ sanitize: ${String(sanitize)} });
    })()`);
  } catch (err) {
    download.cancel();
    throw err;
  }
  await download.done;
  const found = readdirSync(downloads).filter((name) => name.endsWith('.har'));
  if (found.length !== 1 || found[0] === undefined)
    throw new Error(`expected one HAR download, found ${readdirSync(downloads).join(', ') || 'nothing'}`);
  return readFileSync(join(downloads, found[0]), 'utf8');
}

/** The two exports of one run, ports fixed: `sanitized` (the button) and `full` (sensitive data). */
export interface DevtoolsHars {
  readonly sanitized: string;
  readonly full: string;
  /** The sanitized export of a public page whose call Local Network Access blocked. */
  readonly localNetwork: string;
}

/**
 * Records the page of scripts/har-rig.ts in Chromium's own DevTools frontend and returns both of
 * its HAR exports. `timeoutMs` bounds each wait (the tests pass a scaled one).
 */
export async function exportDevtoolsHars(executablePath: string, timeoutMs = TIMEOUT): Promise<DevtoolsHars> {
  const rig = await harRig();
  const downloads = mkdtempSync(join(tmpdir(), 'cors-safety-har-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      // app.example.test is the rig's second page, on loopback but counted as public: Chrome's own
      // switches for testing Local Network Access.
      '--host-resolver-rules=MAP app.example.test 127.0.0.1',
      `--ip-address-space-overrides=127.0.0.1:${rig.publicPagePort}=public`,
    ],
    protocolTimeout: timeoutMs,
    timeout: timeoutMs,
  });
  try {
    const port = new URL(browser.wsEndpoint()).port;
    const target = await browser.newPage();
    const session = await target.createCDPSession();
    const { targetInfo } = await session.send('Target.getTargetInfo');
    await session.detach();
    const frontend = await openFrontend(browser, port, targetInfo.targetId, timeoutMs);
    const browserSession = await browser.target().createCDPSession();
    await browserSession.send('Browser.setDownloadBehavior', {
      behavior: 'allow',
      downloadPath: downloads,
      eventsEnabled: true,
    });
    await untilRecording(frontend, target, `${rig.pageUrl}ready`, timeoutMs);
    await target.goto(rig.pageUrl);
    await target.waitForFunction("document.title === 'ALLDONE'", { timeout: timeoutMs, polling: 100 });
    const sanitized = rig.fix(await exportHar(frontend, browserSession, downloads, true, timeoutMs));
    const full = rig.fix(await exportHar(frontend, browserSession, downloads, false, timeoutMs));
    // A navigation clears DevTools' log ("Preserve log" off): this export holds the public page only.
    await target.goto(rig.publicPageUrl);
    await target.waitForFunction("document.title === 'ALLDONE'", { timeout: timeoutMs, polling: 100 });
    const localNetwork = rig.fix(await exportHar(frontend, browserSession, downloads, true, timeoutMs));
    return { sanitized, full, localNetwork };
  } finally {
    await browser.close();
    rig.close();
    rmSync(downloads, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const hars = await exportDevtoolsHars(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
  for (const [name, har] of [
    ['chromium-devtools.har', hars.sanitized],
    ['chromium-devtools-full.har', hars.full],
    ['chromium-devtools-local-network.har', hars.localNetwork],
  ] as const) {
    writeFileSync(new URL(name, OUT), har.endsWith('\n') ? har : `${har}\n`);
    const entries = (JSON.parse(har) as { log: { entries: unknown[] } }).log.entries.length;
    process.stdout.write(`${name}: ${entries} entries\n`);
  }
}

// Run as a script (not when a test imports exportDevtoolsHars).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
