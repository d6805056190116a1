/**
 * WebKit for the browser tests: WebKitGTK's MiniBrowser, started by Debian's `WebKitWebDriver`
 * (package `webkit2gtk-driver`) on a free loopback port and driven by `webdriverio` over classic
 * WebDriver, on a private `Xvfb` display (package `xvfb`) picked by Xvfb itself (`-displayfd`).
 *
 * WebKitWebDriver offers no BiDi session and no log endpoint, and MiniBrowser's
 * `--enable-write-console-messages-to-stdout` does not reach the views an automation session
 * creates, so a WebKit tab's `console` stays empty: tests assert what the page's script and the
 * servers see.
 *
 * For WebKit's console wording, `webkitConsole()` runs MiniBrowser by itself (no WebDriver) with
 * that setting on, where it does print every console line.
 *
 * An automation session is one window with one ephemeral website-data store, so `open()` navigates
 * that window (the previous tab is gone) and cookies live as long as the launch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { remote } from 'webdriverio';
import { callExpression, engineSupport, isExecutable, type EngineDriver, type EngineSupport } from './browsers.js';
import { scaled } from './time.js';

const MINIBROWSER_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts Xvfb on a display it picks itself (written to fd 3); resolves with `:N`. */
async function startXvfb(path: string): Promise<{ display: string; process: ChildProcess }> {
  const child = spawn(path, ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  let text = '';
  const display = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start:\n${stderr}`)), scaled(20_000));
    fd3.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${text.trim()}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${String(code)}:\n${stderr}`));
    });
  });
  return { display, process: child };
}

/** Polls WebKitWebDriver's `/status` until it answers. */
async function waitForDriver(port: number, driver: ChildProcess): Promise<void> {
  const deadline = Date.now() + scaled(20_000);
  for (;;) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('WebKitWebDriver did not answer /status');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(5000));
  await exited;
  clearTimeout(timer);
}

async function launchWebKit(paths: { driver: string; xvfb: string; miniBrowser: string }): Promise<EngineDriver> {
  let xvfb: ChildProcess | undefined;
  let driver: ChildProcess | undefined;
  try {
    const screen = await startXvfb(paths.xvfb);
    xvfb = screen.process;
    const port = await freePort();
    driver = spawn(paths.driver, [`--port=${port}`, '--host=local'], {
      stdio: 'ignore',
      env: { ...process.env, DISPLAY: screen.display },
    });
    await waitForDriver(port, driver);
    // Not a literal in the call: `webkitgtk:browserOptions` is a vendor capability webdriverio has no type for.
    const capabilities = {
      browserName: 'MiniBrowser',
      // WebKitWebDriver refuses `webSocketUrl` (no BiDi): classic WebDriver only.
      'wdio:enforceWebDriverClassic': true,
      'webkitgtk:browserOptions': { binary: paths.miniBrowser, args: ['--automation'] },
    };
    const browser = await remote({
      hostname: '127.0.0.1',
      port,
      logLevel: 'error',
      connectionRetryTimeout: scaled(60_000),
      connectionRetryCount: 0,
      capabilities,
    });
    await browser.setTimeout({ script: scaled(30_000), pageLoad: scaled(30_000) });
    const processes = { xvfb, driver };
    return {
      engine: 'WebKit',
      async open(url) {
        await browser.url(url);
        return {
          console: [],
          goto: async (next) => {
            await browser.url(next);
          },
          evaluate: async <A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> => {
            // Execute Async Script with a callback: WebKit fails a sync script awaiting a promise
            // whenever a fetch inside it rejects, even when the script catches the rejection.
            const call = callExpression(fn, arg);
            const result = (await browser.executeAsyncScript(
              `const done = arguments[arguments.length - 1];
              Promise.resolve().then(() => ${call}).then((value) => done({ value }), (error) => done({ error: String(error) }));`,
              [],
            )) as { value?: R; error?: string };
            if (result.error !== undefined) throw new Error(`in WebKit: ${result.error}`);
            return result.value as R;
          },
          close: async () => {
            await browser.url('about:blank');
          },
        };
      },
      async close() {
        try {
          await browser.deleteSession();
        } finally {
          await stop(processes.driver);
          await stop(processes.xvfb);
        }
      },
    };
  } catch (err) {
    await stop(driver);
    await stop(xvfb);
    throw err;
  }
}

/**
 * Loads `url` in MiniBrowser without WebDriver, with console messages written to its output, and
 * resolves with every console line once one matches `until` (or the time runs out). For pages that
 * run their case on load: nothing can be evaluated in them.
 */
export async function webkitConsole(support: EngineSupport, url: string, until: RegExp): Promise<string[]> {
  if (support.missing !== undefined) throw new Error(support.missing);
  const paths = webkitPaths();
  const screen = await startXvfb(paths.xvfb);
  const browser = spawn(paths.miniBrowser, ['--enable-write-console-messages-to-stdout=true', url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DISPLAY: screen.display },
  });
  let text = '';
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, scaled(30_000));
      const onData = (chunk: Buffer): void => {
        text += chunk.toString('utf8');
        if (until.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      browser.stdout.on('data', onData);
      browser.stderr.on('data', onData);
      browser.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    await stop(browser);
    await stop(screen.process);
  }
  return text.split('\n').filter((line) => line.includes('CONSOLE '));
}

/**
 * A line of `webkitConsole()` as Web Inspector shows it and a user copies it: MiniBrowser's
 * "CONSOLE <source> ERROR text" becomes "[Error] text" (a source location it appends is dropped);
 * `undefined` for lines that are not errors.
 */
export function webkitInspectorLine(line: string): string | undefined {
  const match = /CONSOLE \w+ (\w+) (.*)$/.exec(line);
  if (match === null || match[1] !== 'ERROR') return undefined;
  return `[Error] ${(match[2] ?? '').replace(/ \(\S*:\d+\)$/, '').trim()}`;
}

function webkitPaths(): { driver: string; xvfb: string; miniBrowser: string } {
  return {
    driver: process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver',
    xvfb: process.env.XVFB_PATH ?? '/usr/bin/Xvfb',
    miniBrowser:
      process.env.WEBKIT_MINIBROWSER_PATH ?? MINIBROWSER_CANDIDATES.find(isExecutable) ?? MINIBROWSER_CANDIDATES[0]!,
  };
}

/** WebKit behind the shared driver interface (browsers.ts). */
export function webkitEngine(suite: string): EngineSupport {
  const { driver, xvfb, miniBrowser } = webkitPaths();
  const problems: string[] = [];
  if (!isExecutable(driver))
    problems.push(`WebKitWebDriver not found at ${driver} (apt-get install -y webkit2gtk-driver)`);
  if (!isExecutable(miniBrowser)) problems.push(`MiniBrowser not found at ${miniBrowser} (webkit2gtk-driver)`);
  if (!isExecutable(xvfb)) problems.push(`Xvfb not found at ${xvfb} (apt-get install -y xvfb)`);
  const missing = problems.length === 0 ? undefined : problems.join('; ');
  return engineSupport('WebKit', suite, missing, () => launchWebKit({ driver, xvfb, miniBrowser }));
}
