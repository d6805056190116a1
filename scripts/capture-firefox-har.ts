/**
 * Makes the Firefox HAR fixture of `cors-safety doctor --har` with Firefox's own exporter: Debian's
 * firefox-esr, started headless with its toolbox open (`-devtools`) and the Network Monitor's HAR
 * auto-export turned on (`devtools.netmonitor.har.enableAutoExportToFile`, written to
 * `defaultLogDir`/`defaultFileName`), loads the page of scripts/har-rig.ts. Firefox's HarAutomation
 * collects the page's requests and writes the HAR itself once the page has been quiet for
 * `pageLoadedTimeout` ms; that file is saved as
 *
 *   test/fixtures/diagnose/firefox.har  (Firefox's export has no sanitized variant: it holds the
 *                                        page's cookie and the `Authorization` header, fake values)
 *
 * Nothing in the file is edited but the random ports (5173 page, 3000 API, 3001 nothing listening).
 * Run: node --import tsx scripts/capture-firefox-har.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harRig } from './har-rig.js';

const OUT = new URL('../test/fixtures/diagnose/', import.meta.url);
const TIMEOUT = 90_000;
/**
 * Firefox's HarAutomation starts collecting at a navigation's `will-navigate`, which the first URL
 * of the command line comes too early for (the toolbox opens after it): a start page opens the
 * real one once the toolbox has had time to open.
 */
const START_WAIT = 8_000;

function prefs(logDir: string): string {
  const values: Record<string, unknown> = {
    'devtools.netmonitor.har.enableAutoExportToFile': true,
    'devtools.netmonitor.har.defaultLogDir': logDir,
    'devtools.netmonitor.har.defaultFileName': 'firefox',
    // The page makes one call every 150 ms: 5 s of quiet means it is done.
    'devtools.netmonitor.har.pageLoadedTimeout': 5000,
    'devtools.toolbox.selectedTool': 'netmonitor',
    'browser.shell.checkDefaultBrowser': false,
    'browser.aboutwelcome.enabled': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'app.update.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
  };
  return Object.entries(values)
    .map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});\n`)
    .join('');
}

/** The exported HAR once Firefox has written all of it. */
async function waitForHar(file: string): Promise<string> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      try {
        JSON.parse(text);
        return text;
      } catch {
        // Still being written.
      }
    }
    if (Date.now() > deadline) throw new Error(`Firefox wrote no HAR to ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One Firefox run: the HAR its auto-export wrote, with the fixed ports. */
async function capture(): Promise<string> {
  const rig = await harRig();
  const scratch = mkdtempSync(join(tmpdir(), 'cors-safety-firefox-har-'));
  const profile = join(scratch, 'profile');
  const logDir = join(scratch, 'har');
  mkdirSync(profile);
  mkdirSync(logDir);
  writeFileSync(join(profile, 'user.js'), prefs(logDir));
  const firefox = spawn(
    process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    ['-headless', '-no-remote', '-profile', profile, '-devtools', `${rig.pageUrl}start?wait=${START_WAIT}`],
    { stdio: 'ignore' },
  );
  try {
    return rig.fix(await waitForHar(join(logDir, 'firefox.har')));
  } finally {
    firefox.kill();
    rig.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // On a loaded machine the toolbox may open after the start page has moved on: one more try.
  let har: string;
  try {
    har = await capture();
  } catch (error) {
    process.stderr.write(`first try failed (${String(error)}), trying again\n`);
    har = await capture();
  }
  writeFileSync(new URL('firefox.har', OUT), har.endsWith('\n') ? har : `${har}\n`);
  const entries = (JSON.parse(har) as { log: { entries: unknown[] } }).log.entries.length;
  process.stdout.write(`firefox.har: ${entries} entries\n`);
}

await main();
