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
 * Nothing in the files is edited but the two random ports, replaced by 5173 (page) and 3000 (API),
 * so the fixtures read like a developer's. Run: node --import tsx scripts/capture-devtools-har.ts
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
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
async function openFrontend(browser: Browser, port: string, targetId: string): Promise<Page> {
  const frontend = await browser.newPage();
  const ws = `127.0.0.1:${port}/devtools/page/${targetId}`;
  await frontend.goto(`http://127.0.0.1:${port}/devtools/inspector.html?ws=${ws}&panel=network`);
  await frontend.waitForFunction(
    `(async () => {
    const network = await import('${FRONTEND_MODULE.network}');
    return network.NetworkPanel.NetworkPanel.instance()?.networkLogView !== undefined;
  })()`,
    { timeout: TIMEOUT, polling: 200 },
  );
  return frontend;
}

/**
 * The frontend records once its network model is enabled on the target, some time after the
 * inspector page loads: a navigation it sees proves it (tried again until it does). The page's own
 * navigation then clears the log (DevTools' default, "Preserve log" off), as when a developer opens
 * DevTools and reloads.
 */
async function untilRecording(frontend: Page, target: Page, probeUrl: string): Promise<void> {
  const seen = `(async () => {
    const logs = await import('${FRONTEND_MODULE.logs}');
    return logs.NetworkLog.NetworkLog.instance().requests().some((request) => request.url() === '${probeUrl}');
  })()`;
  const deadline = Date.now() + TIMEOUT;
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

/** Runs the Network panel's export and returns the file it downloads. */
async function exportHar(frontend: Page, downloads: string, sanitize: boolean): Promise<string> {
  for (const name of readdirSync(downloads)) rmSync(join(downloads, name));
  // The frontend's page code runs as a string: it is not this file's (Node's) code.
  await frontend.evaluate(`(async () => {
    const network = await import('${FRONTEND_MODULE.network}');
    await network.NetworkPanel.NetworkPanel.instance().networkLogView.exportAll({ sanitize: ${String(sanitize)} });
  })()`);
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const done = readdirSync(downloads).filter((name) => name.endsWith('.har'));
    if (done.length === 1 && done[0] !== undefined) return readFileSync(join(downloads, done[0]), 'utf8');
    if (Date.now() > deadline) throw new Error(`no HAR downloaded (found ${readdirSync(downloads).join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const rig = await harRig();
  const downloads = mkdtempSync(join(tmpdir(), 'cors-safety-har-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    protocolTimeout: TIMEOUT,
  });
  try {
    const port = new URL(browser.wsEndpoint()).port;
    const target = await browser.newPage();
    const session = await target.createCDPSession();
    const { targetInfo } = await session.send('Target.getTargetInfo');
    await session.detach();
    const frontend = await openFrontend(browser, port, targetInfo.targetId);
    const browserSession = await browser.target().createCDPSession();
    await browserSession.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await untilRecording(frontend, target, `${rig.pageUrl}ready`);
    await target.goto(rig.pageUrl);
    await target.waitForFunction("document.title === 'ALLDONE'", { timeout: TIMEOUT, polling: 100 });
    for (const [name, sanitize] of [
      ['chromium-devtools.har', true],
      ['chromium-devtools-full.har', false],
    ] as const) {
      const har = rig.fix(await exportHar(frontend, downloads, sanitize));
      writeFileSync(new URL(name, OUT), har.endsWith('\n') ? har : `${har}\n`);
      const entries = (JSON.parse(har) as { log: { entries: unknown[] } }).log.entries.length;
      process.stdout.write(`${name}: ${entries} entries\n`);
    }
  } finally {
    await browser.close();
    rig.close();
    rmSync(downloads, { recursive: true, force: true });
  }
}

await main();
