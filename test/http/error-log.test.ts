/**
 * corsErrorHandler() logging: every 5xx reaches stderr by default (method, path without query,
 * status, stack), 4xx does not; `log: false` turns it off, `log: fn` replaces it. Request data
 * that ends up in the line (a decoded path parameter in the message) is escaped first.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corsErrorHandler, createCorsPolicy, notFound, type ErrorLogEntry } from '../../src/index.js';
import {
  ALLOWED,
  FLAVORS,
  TEST_TIMEOUT_MS,
  captureDebug,
  captureStderr,
  get,
  withServer,
} from '../helpers/error-handler-servers.js';

const T = { timeout: TEST_TIMEOUT_MS };
const policy = createCorsPolicy({ origin: ALLOWED, env: {} });

for (const flavor of FLAVORS) {
  describe(`${flavor.name}: corsErrorHandler() logs 5xx to stderr by default`, () => {
    const app = (options?: Parameters<typeof corsErrorHandler>[1]) => {
      const a = flavor.create();
      a.get('/crash', () => {
        throw new Error('database unreachable');
      });
      a.get('/busy', () => {
        throw Object.assign(new Error('pool exhausted'), { status: 503 });
      });
      a.get('/forbidden', () => {
        throw Object.assign(new Error('not yours'), { status: 403, expose: true });
      });
      a.get('/items/:id', (req) => {
        throw new Error(`no item ${req.params.id}`);
      });
      a.use(notFound());
      a.use(corsErrorHandler(policy, options));
      return a;
    };

    it('a 500 and a 503: method, path without query, status and stack, one write each', T, async () => {
      const written = await captureStderr(() =>
        withServer(app(), async (url) => {
          assert.equal((await get(`${url}/crash?token=secret-q`)).status, 500);
          assert.equal((await get(`${url}/busy`)).status, 503);
        }),
      );
      assert.match(written, /^cors-safety: 500 GET \/crash: Error: database unreachable\n\s+at /);
      assert.match(written, /\ncors-safety: 503 GET \/busy: Error: pool exhausted\n\s+at /);
      assert.doesNotMatch(written, /secret-q/, 'the query string is never logged');
    });

    it('4xx answers (notFound, 403) write nothing to stderr, but reach the debug namespace', T, async () => {
      const debug = captureDebug();
      let written: string;
      try {
        written = await captureStderr(() =>
          withServer(app(), async (url) => {
            assert.equal((await get(`${url}/nowhere`)).status, 404);
            assert.equal((await get(`${url}/forbidden`)).status, 403);
          }),
        );
      } finally {
        debug.stop();
      }
      assert.equal(written, '');
      assert.equal(debug.lines.length, 2, debug.lines.join('\n'));
      assert.match(debug.lines[0] ?? '', /404 GET \/nowhere/);
      assert.match(debug.lines[1] ?? '', /403 GET \/forbidden: Error: not yours/);
    });

    it('log: false writes nothing; log: fn replaces the default', T, async () => {
      const entries: ErrorLogEntry[] = [];
      const silent = await captureStderr(() =>
        withServer(app({ log: false }), async (url) => {
          assert.equal((await get(`${url}/crash`)).status, 500);
        }),
      );
      assert.equal(silent, '');
      const replaced = await captureStderr(() =>
        withServer(app({ log: (entry) => entries.push(entry) }), async (url) => {
          assert.equal((await get(`${url}/crash?x=1`)).status, 500);
        }),
      );
      assert.equal(replaced, '');
      assert.deepEqual({ ...entries[0], error: null }, { error: null, status: 500, method: 'GET', path: '/crash' });
    });

    it(
      'terminal control characters from the request are escaped (ESC, CR, tab, C1 CSI, bidi override)',
      T,
      async () => {
        const written = await captureStderr(() =>
          withServer(app(), async (url) => {
            const path = '/items/%1b%5b2J%1b%5b31mred%0dfake%c2%9b%09%e2%80%aeevil';
            assert.equal((await get(`${url}${path}`)).status, 500);
          }),
        );
        assert.match(written, /cors-safety: 500 GET \/items\/%1b%5b2J%1b%5b31mred%0dfake%c2%9b%09%e2%80%aeevil: /);
        // The one escaper of the library (escapeControlCharacters): \uXXXX escapes, the stack's \n kept.
        assert.ok(
          written.includes('Error: no item \\u001b[2J\\u001b[31mred\\u000dfake\\u009b\\u0009\\u202eevil\n'),
          written,
        );
        assert.ok(!written.includes('\u202e'), 'no raw right-to-left override');
        // eslint-disable-next-line no-control-regex -- the point: no raw control character but \n
        assert.doesNotMatch(written, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      },
    );
  });
}

describe('a real process: the crash is on its stderr', () => {
  it('Express 5 app, default options: the 500 and its stack are printed, the 404 is not', T, async () => {
    const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const program = `
      import express from 'express';
      import { corsErrorHandler, notFound } from ${JSON.stringify(index)};
      const app = express();
      app.get('/boom', () => { throw new Error('handler crashed'); });
      app.use(notFound());
      app.use(corsErrorHandler({ origin: 'https://app.example.com', env: {} }));
      const server = app.listen(0, '127.0.0.1', async () => {
        const base = 'http://127.0.0.1:' + server.address().port;
        const a = await fetch(base + '/boom?session=abc');
        const b = await fetch(base + '/missing');
        console.log('statuses', a.status, b.status);
        server.close();
      });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, DEBUG: '', NODE_ENV: 'development' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /statuses 500 404/);
    assert.match(stderr, /cors-safety: 500 GET \/boom: Error: handler crashed\n\s+at /);
    assert.doesNotMatch(stderr, /session=abc|404|missing/);
  });
});
