import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TIMEOUT_MS, parseCli, parseHeader, parsePageOrigin, UsageError } from '../../src/cli/args.js';

function doctor(args: string[]) {
  const command = parseCli(['doctor', ...args]);
  assert.equal(command.kind, 'doctor');
  return command;
}

describe('parseCli', () => {
  it('parses a full doctor command', () => {
    const command = doctor([
      'https://api.example.com/v1/me?x=1',
      '--origin',
      'https://app.example.com',
      '-X',
      'put',
      '-H',
      'Authorization: Bearer abc',
      '--header',
      'X-Trace',
      '--credentials',
      '--timeout',
      '2500',
      '--json',
    ]);
    const { options } = command;
    assert.equal(options.url.href, 'https://api.example.com/v1/me?x=1');
    assert.equal(options.origin, 'https://app.example.com');
    assert.equal(options.method, 'PUT');
    assert.deepEqual(options.headers, [
      ['Authorization', 'Bearer abc'],
      ['X-Trace', 'cors-safety-probe'],
    ]);
    assert.equal(options.credentials, 'include');
    assert.equal(options.timeoutMs, 2500);
    assert.equal(options.ws, false);
    assert.equal(command.json, true);
    assert.deepEqual(command.notes, ['method put is sent as PUT, as fetch() normalises it']);
  });

  it('has defaults: GET, no credentials, 10 s', () => {
    const { options, json } = doctor(['http://127.0.0.1:3000', '--origin', 'http://localhost:5173']);
    assert.equal(options.method, 'GET');
    assert.equal(options.credentials, 'same-origin');
    assert.equal(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    assert.equal(json, false);
  });

  it('treats ws:// URLs as --ws and turns http URLs into ws URLs with --ws', () => {
    assert.equal(doctor(['ws://127.0.0.1:3000/socket', '--origin', 'http://localhost:5173']).options.ws, true);
    const { options } = doctor(['https://api.example.com/socket', '--ws', '--origin', 'https://app.example.com']);
    assert.equal(options.ws, true);
    assert.equal(options.url.href, 'wss://api.example.com/socket');
  });

  it('keeps PATCH as written, as fetch() does', () => {
    assert.equal(doctor(['http://x.test', '--origin', 'http://y.test', '-X', 'patch']).options.method, 'patch');
  });

  it('routes help, version and explain', () => {
    assert.equal(parseCli(['--help']).kind, 'help');
    assert.equal(parseCli(['--version']).kind, 'version');
    const help = parseCli(['doctor', '--help']);
    assert.equal(help.kind, 'help');
    assert.match(help.kind === 'help' ? help.text : '', /--credentials/);
    assert.deepEqual(parseCli(['explain', '--origin', 'https://a.example', '-c', 'cors.json']), {
      kind: 'explain',
      origin: 'https://a.example',
      config: 'cors.json',
      json: false,
    });
  });

  const errors: [args: string[], message: RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['doctor', '--origin', 'http://a.test'], /doctor needs a URL/],
    [['doctor', 'http://a.test', 'http://b.test', '--origin', 'http://a.test'], /one URL, got 2/],
    [['doctor', 'http://a.test'], /--origin is required/],
    [['doctor', 'not a url', '--origin', 'http://a.test'], /has no scheme/],
    [['doctor', 'http://exa mple.com', '--origin', 'http://a.test'], /is not a URL/],
    [['doctor', 'ftp://a.test/', '--origin', 'http://a.test'], /http, https, ws or wss/],
    [['doctor', 'http://u:p@a.test/', '--origin', 'http://b.test'], /user name or password/],
    [
      ['doctor', 'http://a.test', '--origin', 'app.example.com'],
      /has no scheme; write it like http:\/\/app.example.com/,
    ],
    [['doctor', 'http://a.test', '--origin', 'http://exa mple.com'], /is not an origin/],
    [['doctor', 'http://a.test', '--origin', 'file:///tmp/x'], /http or https origin/],
    [['doctor', 'http://a.test', '--origin', 'capacitor://localhost/index.html'], /an app origin such as/],
    [
      ['doctor', 'http://a.test', '--origin', 'http://b.test', '--bogus'],
      /^unknown option --bogus for doctor; its options are --origin, --method, --header, --credentials, --ws,/,
    ],
    [
      ['doctor', 'http://a.test', '--orign', 'http://b.test'],
      /^unknown option --orign for doctor; did you mean --origin\?$/,
    ],
    [['doctor', 'http://a.test', '--credential', '--origin', 'http://b.test'], /did you mean --credentials\?$/],
    [
      ['doctor', 'http://a.test', '--origin', 'http://b.test', '-x', 'PUT'],
      /unknown option -x for doctor; did you mean -X\?$/,
    ],
    [['doctor', 'http://a.test', '--origin'], /^--origin needs a value, e.g. --origin https:\/\/app\.example\.com$/],
    [['explain', '--origin', 'https://a.test', '--json=yes'], /^--json takes no value; write --json alone$/],
    [['explain', '--orgin', 'https://a.test'], /^unknown option --orgin for explain; did you mean --origin\?$/],
    [['explian', '--origin', 'https://a.test'], /^unknown command "explian"; did you mean explain\?$/],
    // Flag names that are Object.prototype members are unknown flags, not inherited properties.
    [['explain', '--origin', 'https://a.test', '--constructor'], /^unknown option --constructor for explain/],
    [['explain', '--origin', 'https://a.test', '--toString=1'], /^unknown option --toString for explain/],
    [['explain', '--origin', 'https://a.test', '--__proto__'], /^unknown option --__proto__ for explain/],
    [[], /^no command given$/],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '-X', 'TRACE'], /never send this method/],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '-X', 'GE T'], /not a valid method/],
    [
      ['doctor', 'http://a.test', '--origin', 'http://b.test', '-H', 'Origin: http://c.test'],
      /forbidden request-header.*use --origin/,
    ],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '-H', 'Cookie: a=b'], /a page cannot set this header/],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '-H', 'Bad Name: x'], /not a valid header name/],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '--timeout', '0'], /--timeout "0"/],
    [['doctor', 'http://a.test', '--origin', 'http://b.test', '--timeout', '1.5'], /whole number/],
    [['doctor', 'ws://a.test', '--origin', 'http://b.test', '-H', 'X-A: 1'], /do not apply to --ws/],
    [['explain'], /--origin is required/],
    [['explain', '--origin', 'https://a.test', 'extra'], /no positional arguments/],
  ];
  for (const [args, message] of errors) {
    it(`usage error: ${args.join(' ')}`, () => {
      assert.throws(
        () => parseCli(args),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});

describe('parsePageOrigin and parseHeader', () => {
  it('reduces a pasted page URL to its serialised origin and says so', () => {
    assert.deepEqual(parsePageOrigin('http://localhost:5173'), { origin: 'http://localhost:5173', note: null });
    assert.deepEqual(parsePageOrigin('HTTPS://App.Example.com:443/dashboard'), {
      origin: 'https://app.example.com',
      note: 'using origin https://app.example.com (from --origin HTTPS://App.Example.com:443/dashboard)',
    });
    assert.deepEqual(parsePageOrigin('null'), { origin: 'null', note: null });
  });
  it('accepts the origins hybrid apps and extensions send, lowercased as browsers send them', () => {
    assert.deepEqual(parsePageOrigin('capacitor://localhost'), { origin: 'capacitor://localhost', note: null });
    assert.deepEqual(parsePageOrigin('Tauri://LocalHost/'), {
      origin: 'tauri://localhost',
      note: 'using origin tauri://localhost (from --origin Tauri://LocalHost/)',
    });
  });
  it('gives a bare Content-Type a JSON value, as an API client would send', () => {
    assert.deepEqual(parseHeader('Content-Type'), ['Content-Type', 'application/json']);
    assert.deepEqual(parseHeader('Content-Type:  text/plain '), ['Content-Type', 'text/plain']);
    assert.deepEqual(parseHeader('X-Empty:'), ['X-Empty', '']);
  });
});
