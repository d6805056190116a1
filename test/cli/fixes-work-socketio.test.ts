/**
 * Every printed `doctor --socketio` fix works when followed (issue #22): a real socket.io 4 server
 * (and, for the upgrade, real nginx in front of it) is set up the broken way, the doctor's fix is
 * applied exactly as printed (the policy, the server's or the client's `transports`, the path, the
 * nginx lines), and the probe, or the real socket.io-client where the fix is on the client, then
 * succeeds.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createCorsPolicy, type CorsPolicy } from '../../src/index.js';
import { run } from '../../src/cli/run.js';
import { assertNginxPresent, nginxSkip, nginxSupport, startNginx } from '../helpers/nginx.js';
import { clientOutcome, startSocketIo, type SocketIoHarnessOptions } from '../helpers/socketio.js';
import { scaled } from '../helpers/time.js';
import { findingCodes, findingOf, type DoctorJson } from './cli-helper.js';
import { PAGE_ORIGIN } from './servers.js';

const support = nginxSupport('test/cli/fixes-work-socketio.test.ts');

async function doctor(
  url: string,
  origin = PAGE_ORIGIN,
  extra: readonly string[] = [],
): Promise<{ code: number; json: DoctorJson }> {
  let stdout = '';
  const args = ['doctor', '--socketio', url, '--origin', origin, '--json', '--timeout', String(scaled(5000)), ...extra];
  const code = await run(args, { stdout: (text) => (stdout += text), stderr: () => undefined });
  return { code, json: JSON.parse(stdout) as DoctorJson };
}

function policyFor(...origins: string[]): CorsPolicy {
  return createCorsPolicy({ origin: origins, env: {} });
}

async function serve(t: TestContext, policy: CorsPolicy, options: SocketIoHarnessOptions = {}): Promise<string> {
  return (await startSocketIo(t, policy, options)).url;
}

/** The probe passes: no finding, exit 0, and the session was upgraded to a WebSocket. */
function assertPasses(result: { code: number; json: DoctorJson }): void {
  assert.deepEqual(findingCodes(result.json), []);
  assert.equal(result.code, 0);
  assert.ok(
    result.json.steps.some((s) => s.name === 'socketio-upgrade' && s.response?.status === 101),
    JSON.stringify(result.json.steps),
  );
}

describe('doctor --socketio fixes, followed, make the connection work', () => {
  it('socketio-refused (forbidden): adding the origin to the policy of createAllowRequest opens the session', async (t) => {
    const before = await doctor(await serve(t, policyFor('https://admin.example.com')));
    assert.deepEqual(findingCodes(before.json), ['socketio-refused:forbidden']);
    assert.match(
      findingOf(before.json, 'socketio-refused').fix,
      /^Add http:\/\/127\.0\.0\.1:5173 to the policy of createAllowRequest/,
    );
    assertPasses(await doctor(await serve(t, policyFor('https://admin.example.com', PAGE_ORIGIN))));
  });

  it("socketio-refused (polling-disabled): the client's transports: ['websocket'] connects; so does allowing polling", async (t) => {
    const policy = policyFor(PAGE_ORIGIN);
    const url = await serve(t, policy, { server: { transports: ['websocket'] } });
    const before = await doctor(url);
    assert.deepEqual(findingCodes(before.json), ['socketio-refused:polling-disabled']);
    const fix = findingOf(before.json, 'socketio-refused').fix;
    assert.match(fix, /^Set transports: \['websocket'\] in the client as well, or allow polling on the server/);
    // The first half is on the client: the real socket.io-client with that option connects.
    const client = await clientOutcome(url, ['websocket'], PAGE_ORIGIN);
    assert.deepEqual(client, { kind: 'connected', first: 'websocket', last: 'websocket', echo: 'ping' });
    // The second half: polling allowed on the server again (socket.io's default transports).
    assertPasses(await doctor(await serve(t, policy)));
  });

  it("socketio-refused (not-socketio): passing the URL of the server's path option connects", async (t) => {
    const url = await serve(t, policyFor(PAGE_ORIGIN), { server: { path: '/realtime/' } });
    const before = await doctor(url);
    assert.deepEqual(findingCodes(before.json), ['socketio-refused:not-socketio']);
    assert.match(
      findingOf(before.json, 'socketio-refused').fix,
      /Pass the URL of the socket\.io path .*the server's path option/,
    );
    assertPasses(await doctor(`${url}/realtime/`));
  });

  it('no-allow-origin on polling: io.engine.use(corsSafety(policy)), as the fix says, grants the polling response', async (t) => {
    const policy = policyFor(PAGE_ORIGIN);
    const before = await doctor(await serve(t, policy, { withoutMiddleware: true }));
    assert.deepEqual(findingCodes(before.json), ['no-allow-origin:not-granted']);
    assert.match(findingOf(before.json, 'no-allow-origin').fix, /io\.engine\.use\(corsSafety\(policy\)\)/);
    assertPasses(await doctor(await serve(t, policy)));
  });

  it('credentials-not-allowed on polling: credentials: true in the engine policy, as the fix says, passes', async (t) => {
    const without = await serve(t, policyFor(PAGE_ORIGIN));
    const before = await doctor(without, PAGE_ORIGIN, ['--credentials']);
    assert.deepEqual(findingCodes(before.json), ['credentials-not-allowed:missing']);
    assert.match(
      findingOf(before.json, 'credentials-not-allowed').fix,
      /set credentials: true in the policy mounted with io\.engine/,
    );
    const policy = createCorsPolicy({ origin: [PAGE_ORIGIN], credentials: true, env: {} });
    assertPasses(await doctor(await serve(t, policy), PAGE_ORIGIN, ['--credentials']));
  });

  it('ws-origin-not-checked on the upgrade: allowRequest: createAllowRequest(policy), as the fix says, checks it', async (t) => {
    const policy = policyFor(PAGE_ORIGIN);
    const { io, url } = await startSocketIo(t, policy);
    // The same server without its origin hook (engine.io keeps allowRequest in its options).
    (io.engine as unknown as { opts: { allowRequest?: unknown } }).opts.allowRequest = undefined;
    const before = await doctor(url);
    assert.deepEqual(findingCodes(before.json), ['ws-origin-not-checked']);
    assert.match(findingOf(before.json, 'ws-origin-not-checked').fix, /allowRequest: createAllowRequest\(policy\)/);
    assertPasses(await doctor(await serve(t, policy)));
  });

  it("socketio-no-upgrade: transports: ['polling', 'websocket'] on the server, as the fix says, upgrades", async (t) => {
    const policy = policyFor(PAGE_ORIGIN);
    const before = await doctor(await serve(t, policy, { server: { transports: ['polling'] } }));
    assert.deepEqual(findingCodes(before.json), ['socketio-no-upgrade']);
    assert.equal(before.json.verdict, 'allowed');
    assert.match(findingOf(before.json, 'socketio-no-upgrade').fix, /transports: \['polling', 'websocket'\]/);
    assertPasses(await doctor(await serve(t, policy, { server: { transports: ['polling', 'websocket'] } })));
  });
});

/** nginx proxying socket.io's path, with `directives` (the lines the fix prints) in its location. */
function proxy(upstreamPort: number, directives: string): (dir: string, port: number) => string {
  return (_dir, port) => `server {
      listen 127.0.0.1:${port};
      location /socket.io/ { proxy_pass http://127.0.0.1:${upstreamPort}; ${directives} }
    }`;
}

describe('doctor --socketio behind real nginx: the upgrade fix', { skip: nginxSkip(support) }, () => {
  it('socketio-upgrade-failed: the three nginx lines the fix prints let the session upgrade', async (t) => {
    assertNginxPresent(support);
    const upstream = await startSocketIo(t, policyFor(PAGE_ORIGIN));
    const plain = await startNginx(support, proxy(upstream.port, ''));
    t.after(() => plain.stop());
    const before = await doctor(plain.url);
    assert.deepEqual(findingCodes(before.json), ['socketio-upgrade-failed:bad-handshake']);
    assert.equal(before.json.verdict, 'allowed', 'socket.io-client stays on long-polling');
    const fix = findingOf(before.json, 'socketio-upgrade-failed').fix;
    // Pasted as printed into the location block.
    const lines = /\(nginx: ([^)]+)\)/.exec(fix)?.[1];
    assert.equal(
      lines,
      'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
    );
    const fixed = await startNginx(support, proxy(upstream.port, lines));
    t.after(() => fixed.stop());
    assertPasses(await doctor(fixed.url));
  });
});
