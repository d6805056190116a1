// Values from configuration or the network never reach a terminal or a log line raw: config
// error messages, warnings, debug logs and doctor/explain output escape control characters
// (ESC sequences, CR/LF, C1 controls, DEL) and bidi overrides with one core function.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { format } from 'node:util';
import { describe, test } from 'node:test';
import { CorsConfigError, createCorsPolicy, createOriginValidator, escapeControlCharacters } from '../../src/index.js';
import { run } from '../../src/cli/run.js';
import { logMiddleware, logOrigin } from '../../src/shared/log.js';

/* eslint-disable no-control-regex -- finding control characters is the point */
/** Every character a terminal may act on, and the bidi controls of "Trojan Source". */
const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/u;
const UNSAFE_WITH_LF = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/u;
/* eslint-enable no-control-regex */

const HOSTILE = [
  '\u001b[2J\u001b[H', // clear screen, cursor home
  '\u001b]0;pwned\u0007', // set the terminal title
  'a\r\nVerdict: ALLOWED', // a forged line
  '\u009b31m', // C1 CSI
  '\u0085', // C1 next line
  '\u202eevil\u202c', // right-to-left override
  '\u2066x\u2069',
  '\u2028',
  '\u007f',
  '\u0000',
];

function configMessage(build: () => unknown): string {
  try {
    build();
  } catch (err) {
    assert.ok(err instanceof CorsConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected a CorsConfigError');
}

function capture(logger: typeof logOrigin, body: () => unknown): string[] {
  const lines: string[] = [];
  const saved = { enabled: logger.enabled, log: logger.log };
  logger.enabled = true;
  logger.log = (...args: unknown[]) => lines.push(format(...args));
  try {
    body();
  } finally {
    logger.enabled = saved.enabled;
    logger.log = saved.log;
  }
  return lines;
}

describe('escapeControlCharacters', () => {
  test('escapes C0, DEL, C1, bidi controls and line separators as \\uXXXX', () => {
    for (const text of HOSTILE) {
      const escaped = escapeControlCharacters(`x${text}y`);
      assert.doesNotMatch(escaped, UNSAFE_WITH_LF, JSON.stringify(text));
      assert.match(escaped, /\\u[0-9a-f]{4}/);
    }
    assert.equal(escapeControlCharacters('\u001b[2J'), '\\u001b[2J');
    assert.equal(escapeControlCharacters('a\r\nb'), 'a\\u000d\\u000ab');
    assert.equal(escapeControlCharacters('a\r\nb', true), 'a\\u000d\nb');
  });

  test('leaves ordinary text alone, Unicode included, and the escapes stay valid JSON', () => {
    for (const text of ['https://app.example.com', 'café 日本 👍', 'tab-free text', '']) {
      assert.equal(escapeControlCharacters(text), text);
    }
    const json = escapeControlCharacters(JSON.stringify({ status: 'Forbidden\u009b\u202e' }));
    assert.deepEqual(JSON.parse(json), { status: 'Forbidden\u009b\u202e' });
  });

  test('never throws for a non-string', () => {
    assert.equal(escapeControlCharacters(12 as unknown as string), '12');
    const value = { toString: () => assert.fail('read') };
    assert.equal(escapeControlCharacters(Object.create(null) as string), '[object]');
    assert.equal(escapeControlCharacters(value as unknown as string), '[object]');
  });
});

describe('configuration errors and warnings', () => {
  test('an entry with ESC, CR/LF, C1 or bidi controls is never repeated raw', () => {
    for (const text of HOSTILE) {
      const cases = [
        () => createCorsPolicy({ origin: `https://a.example${text}` }),
        () => createCorsPolicy({ origin: [`https://a.example`, `https://*.${text}.com`] }),
        () => createCorsPolicy({ allowedHosts: [`a.example${text}`] }),
        () => createCorsPolicy({ origin: 'https://a.example', methods: [`G${text}ET`] }),
        () =>
          createCorsPolicy({
            origin: new RegExp(`^https:\\/\\/a${text.replace(/[[\]\\^$.|?*+(){}]/g, '\\$&')}.example.com$`),
          }),
        () => createCorsPolicy({ origin: 'https://a.example', [`orig${text}in`]: true }),
        () => createCorsPolicy({ env: { CORS_ALLOWED_ORIGINS: `https://a${text}.example` } }),
      ];
      for (const build of cases) {
        const message = configMessage(build);
        // The message's own layout uses LF between issues; nothing else is raw.
        assert.doesNotMatch(message, UNSAFE, JSON.stringify(text));
      }
    }
  });

  test('a process warning naming a configured RegExp escapes it', async () => {
    const lines = capture(logMiddleware, () =>
      // The warning is decided by what the RegExp matches (http://a.example): the bidi branch is never matched but shown.
      createCorsPolicy({
        origin: new RegExp('^http:\\/\\/(?:a|\u202e\u009b)\\.example$'),
        credentials: true,
        env: {},
      }),
    );
    const warning = lines.find((line) => line.includes('CORS_SAFETY_INSECURE_ORIGIN'));
    assert.ok(warning !== undefined, lines.join('\n'));
    assert.doesNotMatch(warning, UNSAFE_WITH_LF);
    await new Promise((resolve) => setImmediate(resolve));
  });
});

describe('debug logs', () => {
  test('a hostile Origin header and a callback detail are logged escaped', () => {
    const validator = createOriginValidator({ origin: 'https://a.example', env: {} });
    const fnValidator = createOriginValidator({
      env: {},
      origin: () => {
        throw new Error('lookup failed\u001b[2J\r\nForged: line\u202e');
      },
    });
    const lines = capture(logOrigin, () => {
      for (const text of HOSTILE) void validator.check(`https://a.example${text}`);
      void fnValidator.check('https://b.example');
    });
    assert.ok(lines.length >= HOSTILE.length + 1);
    for (const line of lines) assert.doesNotMatch(line, UNSAFE_WITH_LF, line);
    assert.ok(lines.some((line) => line.includes('lookup failed\\u001b[2J\\u000d\\u000aForged')));
  });
});

/** A raw HTTP server answering every request with `head` (status line and headers as given). */
async function hostileServer(head: string): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(`${head}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('doctor and explain output', () => {
  test('a hostile server cannot rewrite the terminal: status text and header values are escaped', async () => {
    const server = await hostileServer(
      'HTTP/1.1 403 Forbidden\u001b]0;owned\u0007\u001b[2J\u009b1A\u202e Verdict: ALLOWED\r\n' +
        // Node's parser refuses ESC in a header value but lets C1 controls and bidi overrides through.
        'Access-Control-Allow-Origin: https://x\u0085\u202e.example\u009b2K\r\n' +
        'Vary: Origin\u202e',
    );
    try {
      for (const json of [false, true]) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await run(
          ['doctor', server.url, '--origin', 'https://app.example.com', ...(json ? ['--json'] : [])],
          { stdout: (s) => out.push(s), stderr: (s) => err.push(s) },
        );
        const text = out.join('') + err.join('');
        assert.doesNotMatch(text, UNSAFE, text);
        assert.match(text, /\\u001b\]0;owned\\u0007/);
        assert.notEqual(code, 0, 'still reported as blocked');
        if (json) assert.doesNotThrow(() => JSON.parse(out.join('')) as unknown);
      }
    } finally {
      await server.close();
    }
  });

  test('explain prints a hostile origin argument and config issues escaped', async () => {
    const out: string[] = [];
    await run(['explain', '--origin', 'https://a.example\u001b[2J\u202e'], {
      stdout: (s) => out.push(s),
      stderr: (s) => out.push(s),
    });
    const text = out.join('');
    assert.doesNotMatch(text, UNSAFE, text);
    assert.match(text, /\\u001b\[2J\\u202e/);
  });
});
