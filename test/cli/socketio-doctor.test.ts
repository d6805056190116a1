/**
 * `cors-safety doctor --socketio URL --origin O` against real socket.io 4 servers: the polling
 * handshake as socket.io-client sends it, the WebSocket upgrade of that session, and the
 * foreign-origin handshake, with verdicts, causes, socket.io-specific fixes and exit codes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createCorsPolicy, type CorsPolicy } from '../../src/index.js';
import { parseCli } from '../../src/cli/args.js';
import { run } from '../../src/cli/run.js';
import { startSocketIo, type SocketIoHarnessOptions } from '../helpers/socketio.js';
import { runCli, type DoctorJson } from './cli-helper.js';

const PAGE = 'http://localhost:5173';
const policy = createCorsPolicy({ origin: PAGE, credentials: true, allowedHosts: ['127.0.0.1:*'], env: {} });

/** Runs the CLI in-process and returns its exit code and parsed --json output. */
async function doctor(args: readonly string[]): Promise<{ code: number; json: DoctorJson; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['doctor', '--socketio', '--json', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, json: JSON.parse(stdout) as DoctorJson, stderr };
}

async function server(t: TestContext, p: CorsPolicy = policy, options: SocketIoHarnessOptions = {}): Promise<string> {
  return (await startSocketIo(t, p, options)).url;
}

function stepSummary(json: DoctorJson): string[] {
  return json.steps.map((step) => `${step.name} ${step.response?.status ?? (step.skipped ? 'skipped' : 'error')}`);
}

describe('cors-safety doctor --socketio against real socket.io servers', () => {
  it('an allowed origin with credentials: polling, upgrade and the foreign-origin check pass; exit 0', async (t) => {
    const url = await server(t);
    const { code, json } = await doctor([url, '--origin', PAGE, '--credentials']);
    // The page is on localhost, the server on 127.0.0.1: CORS passes, cookies would not travel.
    assert.deepEqual(
      json.findings.map((f) => [f.code, f.detail]),
      [['cookies-cross-site', 'loopback-names']],
    );
    assert.equal(json.verdict, 'allowed');
    assert.equal(code, 0);
    assert.deepEqual(stepSummary(json), [
      'socketio-polling 200',
      'socketio-session 200',
      'socketio-session 200',
      'socketio-session 200',
      'socketio-upgrade 101',
      'websocket-foreign-origin 400',
    ]);
    assert.match(json.steps[4]?.request.method ?? '', /GET/);
  });

  it("a denied origin: socketio-refused (forbidden) naming createAllowRequest's policy; no upgrade; exit 1", async (t) => {
    const url = await server(t);
    const { code, json } = await doctor([url, '--origin', 'https://evil.example']);
    assert.equal(code, 1);
    assert.equal(json.verdict, 'blocked');
    assert.deepEqual(
      json.findings.map((f) => [f.code, f.detail, f.severity]),
      [
        // A public page calling a loopback server: Chrome's Local Network Access asks the user first.
        ['local-network-access', 'public-to-loopback', 'warning'],
        ['socketio-refused', 'forbidden', 'error'],
      ],
    );
    assert.match(json.findings[1]?.fix ?? '', /createAllowRequest\(policy\)/);
    assert.deepEqual(stepSummary(json), ['socketio-polling 403', 'socketio-upgrade skipped']);
  });

  it('a same-origin page whose host is in allowedHosts connects; one whose host is not is refused', async (t) => {
    const url = await server(t);
    const same = await doctor([url, '--origin', url]);
    assert.deepEqual(same.json.findings, []);
    assert.equal(same.code, 0);
    const strictUrl = await server(t, createCorsPolicy({ origin: PAGE, env: {} }));
    const refused = await doctor([strictUrl, '--origin', strictUrl]);
    assert.equal(refused.code, 1);
    assert.equal(refused.json.findings[0]?.detail, 'forbidden');
    assert.match(refused.json.findings[0]?.fix ?? '', /allowedHosts/);
  });

  it('misconfigured, no CORS on polling (allowRequest without io.engine.use(corsSafety)): no-allow-origin with the socket.io fix', async (t) => {
    const url = await server(t, policy, { withoutMiddleware: true });
    const { code, json } = await doctor([url, '--origin', PAGE]);
    assert.equal(code, 1);
    const finding = json.findings.find((f) => f.code === 'no-allow-origin');
    assert.ok(finding, JSON.stringify(json.findings));
    assert.equal(finding.step, 'socketio-polling');
    assert.match(finding.fix, /io\.engine\.use\(corsSafety\(policy\)\)/);
    assert.match(finding.fix, /before Express/);
    // The origin is allowed; the doctor must not tell the user to add it.
    assert.match(finding.cause, /opened a session for http:\/\/localhost:5173/);
  });

  it('--credentials against a policy without credentials: credentials-not-allowed with the socket.io fix', async (t) => {
    const url = await server(t, createCorsPolicy({ origin: PAGE, env: {} }));
    const { code, json } = await doctor([url, '--origin', PAGE, '--credentials']);
    assert.equal(code, 1);
    const finding = json.findings.find((f) => f.code === 'credentials-not-allowed');
    assert.ok(finding, JSON.stringify(json.findings));
    assert.match(finding.fix, /withCredentials: true.*credentials: true/);
  });

  it('a server that does not check Origin on the WebSocket: allowed with a ws-origin-not-checked warning', async (t) => {
    const { io, url } = await startSocketIo(t, policy);
    // Replace the hook: the engine's options hold allowRequest.
    (io.engine as unknown as { opts: { allowRequest?: unknown } }).opts.allowRequest = undefined;
    const { code, json } = await doctor([url, '--origin', PAGE]);
    assert.equal(code, 0);
    assert.deepEqual(
      json.findings.map((f) => [f.code, f.severity]),
      [['ws-origin-not-checked', 'warning']],
    );
    assert.match(json.findings[0]?.fix ?? '', /allowRequest: createAllowRequest\(policy\)/);
  });

  it('a server with polling disabled: socketio-refused (polling-disabled)', async (t) => {
    const url = await server(t, policy, { server: { transports: ['websocket'] } });
    const { code, json } = await doctor([url, '--origin', PAGE]);
    assert.equal(code, 1);
    assert.equal(json.findings[0]?.detail, 'polling-disabled');
    assert.match(json.findings[0]?.fix ?? '', /transports: \['websocket'\]/);
  });

  it('the plain doctor on the polling URL of an allowed origin no longer blames the allow-list', async (t) => {
    const url = await server(t, policy, { withoutMiddleware: true });
    let stdout = '';
    const code = await run(['doctor', `${url}/socket.io/?EIO=4&transport=polling`, '--origin', PAGE, '--json'], {
      stdout: (text) => (stdout += text),
      stderr: () => undefined,
    });
    const json = JSON.parse(stdout) as DoctorJson;
    assert.equal(code, 1);
    const finding = json.findings.find((f) => f.code === 'no-allow-origin');
    assert.ok(finding !== undefined);
    assert.equal(finding.step, 'socketio-polling');
    assert.doesNotMatch(finding.cause, /not on the allow-list/);
    assert.match(finding.fix, /io\.engine\.use\(corsSafety\(policy\)\)/);
  });

  it('a path socket.io does not serve: socketio-refused (not-socketio)', async (t) => {
    const url = await server(t);
    const { code, json } = await doctor([`${url}/chat`, '--origin', PAGE]);
    assert.equal(code, 1);
    assert.equal(json.findings[0]?.detail, 'not-socketio');
  });

  it('a closed port: probe-failed, exit 2', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { code, json, stderr } = await doctor([`http://127.0.0.1:${port}`, '--origin', PAGE]);
    assert.equal(code, 2);
    assert.equal(json.verdict, 'probe-failed');
    assert.match(stderr, /cannot reach .*ECONNREFUSED/);
  });

  it('the real CLI prints the socket.io report as text', async (t) => {
    const url = await server(t);
    const result = await runCli(['doctor', '--socketio', url, '--origin', PAGE, '--credentials']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /socket\.io: +GET http:\/\/127\.0\.0\.1:\d+\/socket\.io\//);
    assert.match(result.stdout, /credentials: withCredentials: true/);
    assert.match(result.stdout, /Verdict: ALLOWED - a browser would allow this socket\.io connection/);
  });
});

describe('doctor --socketio arguments', () => {
  const base = (argv: string[]): string => {
    const command = parseCli(['doctor', '--socketio', ...argv, '--origin', PAGE]);
    assert.equal(command.kind, 'doctor');
    return command.kind === 'doctor' ? command.options.url.href : '';
  };

  it("uses socket.io's default path, as io(url) does, and accepts the polling URL or a ws URL", () => {
    assert.equal(base(['http://localhost:3000']), 'http://localhost:3000/socket.io/');
    assert.equal(
      base(['http://localhost:3000/socket.io/?EIO=4&transport=polling']),
      'http://localhost:3000/socket.io/',
    );
    assert.equal(base(['wss://api.example.com/socket.io']), 'https://api.example.com/socket.io/');
    assert.equal(base(['http://localhost:3000/realtime/']), 'http://localhost:3000/realtime/');
  });

  it('an engine.io URL (EIO=) implies --socketio, with a note; -X or -H keep the plain probe', () => {
    const command = parseCli(['doctor', 'http://localhost:3000/socket.io/?EIO=4&transport=polling', '--origin', PAGE]);
    assert.ok(command.kind === 'doctor');
    assert.equal(command.options.socketio, true);
    assert.equal(command.options.url.href, 'http://localhost:3000/socket.io/');
    assert.match(command.notes.join('\n'), /engine\.io URL.*--socketio/);
    const plain = parseCli(['doctor', 'http://localhost:3000/socket.io/?EIO=4', '--origin', PAGE, '-X', 'POST']);
    assert.ok(plain.kind === 'doctor');
    assert.equal(plain.options.socketio, undefined);
  });

  it("refuses --ws, --method, --data and --cookie with --socketio; -H is socket.io-client's extraHeaders", () => {
    const command = parseCli(['doctor', '--socketio', 'http://localhost:3000', '--origin', PAGE, '-H', 'X-Token: 1']);
    assert.ok(command.kind === 'doctor');
    assert.deepEqual(command.options.headers, [['X-Token', '1']]);
    for (const extra of [['--ws'], ['-X', 'POST'], ['--data', 'x'], ['--cookie', 'a=1']]) {
      assert.throws(
        () => parseCli(['doctor', '--socketio', 'http://localhost:3000', '--origin', PAGE, ...extra]),
        /--socketio/,
      );
    }
  });
});
