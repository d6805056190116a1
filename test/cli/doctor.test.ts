import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseSnapshot } from '../../src/cli/cors-check.js';
import type { DoctorOptions } from '../../src/cli/doctor.js';
import { HIDDEN, runDoctor } from '../../src/cli/doctor.js';
import type { RawHeaders } from '../../src/cli/headers.js';
import type { OutgoingRequest, Transport, UpgradeSnapshot } from '../../src/cli/probe.js';
import { ProbeError, websocketAccept } from '../../src/cli/probe.js';
import { formatDoctorJson, formatDoctorText } from '../../src/cli/report.js';

const ORIGIN = 'https://app.example.com';

/** A transport that answers from a function and records what was sent. */
function fake(answer: (req: OutgoingRequest) => ResponseSnapshot): Transport & { sent: OutgoingRequest[] } {
  const sent: OutgoingRequest[] = [];
  return {
    sent,
    request(req) {
      sent.push(req);
      return Promise.resolve(answer(req));
    },
    upgrade(req) {
      sent.push(req);
      const key = req.headers.find(([n]) => n === 'Sec-WebSocket-Key')?.[1] ?? '';
      const r = answer(req);
      const snap: UpgradeSnapshot = { ...r, upgraded: r.status === 101, key };
      return Promise.resolve(snap);
    },
  };
}

function options(over: Partial<DoctorOptions> = {}): DoctorOptions {
  return {
    url: new URL('https://api.example.com/v1/items'),
    origin: ORIGIN,
    method: 'GET',
    headers: [],
    credentials: 'same-origin',
    ws: false,
    timeoutMs: 1000,
    ...over,
  };
}

function header(headers: RawHeaders, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

const GRANT: RawHeaders = [
  ['Access-Control-Allow-Origin', ORIGIN],
  ['Access-Control-Allow-Credentials', 'true'],
  ['Access-Control-Allow-Methods', 'GET, PUT, DELETE'],
  ['Access-Control-Allow-Headers', 'Authorization, Content-Type'],
  ['Vary', 'Origin'],
];

describe('runDoctor', () => {
  it('sends only the actual request for a simple request', async () => {
    const t = fake(() => ({ status: 200, statusText: 'OK', headers: GRANT }));
    const result = await runDoctor(options(), t);
    assert.equal(result.verdict, 'allowed');
    // The same GET again from a random unrelated origin, which this server does not grant.
    assert.deepEqual(
      t.sent.map((r) => r.method),
      ['GET', 'GET'],
    );
    assert.equal(header(t.sent[0]?.headers ?? [], 'Origin'), ORIGIN);
    assert.match(
      header(t.sent[1]?.headers ?? [], 'Origin') ?? '',
      /^https:\/\/cors-safety-probe-[0-9a-f]{12}\.invalid$/,
    );
    assert.equal(result.preflight?.needed, false);
  });

  it('sends a preflight like a browser: no author headers, sorted lower-case request headers', async () => {
    const t = fake(() => ({ status: 204, statusText: 'No Content', headers: GRANT }));
    const result = await runDoctor(
      options({
        method: 'PUT',
        credentials: 'include',
        headers: [
          ['Content-Type', 'application/json'],
          ['Authorization', 'Bearer secret'],
        ],
      }),
      t,
    );
    assert.equal(result.verdict, 'allowed');
    // The PUT is not repeated from the unrelated origin (it could change data): its preflight is.
    assert.deepEqual(
      t.sent.map((r) => r.method),
      ['OPTIONS', 'PUT', 'OPTIONS'],
    );
    const preflight = t.sent[0]?.headers ?? [];
    assert.equal(header(preflight, 'Origin'), ORIGIN);
    assert.equal(header(preflight, 'Access-Control-Request-Method'), 'PUT');
    assert.equal(header(preflight, 'Access-Control-Request-Headers'), 'authorization,content-type');
    assert.equal(header(preflight, 'Authorization'), undefined);
    const actual = t.sent[1]?.headers ?? [];
    assert.equal(header(actual, 'Authorization'), 'Bearer secret');
    assert.equal(header(actual, 'Origin'), ORIGIN);
  });

  it('blocks when the preflight does not allow a header, and names it', async () => {
    const t = fake(() => ({ status: 204, statusText: 'No Content', headers: GRANT }));
    const result = await runDoctor(
      options({
        method: 'PUT',
        credentials: 'include',
        headers: [
          ['X-B', '1'],
          ['Authorization', 'x'],
        ],
      }),
      t,
    );
    assert.equal(header(t.sent[0]?.headers ?? [], 'Access-Control-Request-Headers'), 'authorization,x-b');
    assert.equal(result.verdict, 'blocked');
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['header-not-allowed'],
    );
    assert.match(result.findings[0]?.cause ?? '', /also sends x-b\./);
  });

  it('does not send the actual request after a failed preflight', async () => {
    const t = fake((req) =>
      req.method === 'OPTIONS'
        ? { status: 401, statusText: 'Unauthorized', headers: [] }
        : { status: 200, statusText: 'OK', headers: GRANT },
    );
    const result = await runDoctor(options({ method: 'DELETE' }), t);
    assert.deepEqual(
      t.sent.map((r) => r.method),
      ['OPTIONS'],
    );
    assert.equal(result.verdict, 'blocked');
    assert.equal(result.steps[1]?.skipped !== undefined, true);
    assert.deepEqual(
      result.findings.map((f) => `${f.code}:${f.detail ?? ''}`),
      ['preflight-status:auth'],
    );
  });

  it('never shows secret header values in the report', async () => {
    const t = fake(() => ({ status: 204, statusText: 'No Content', headers: GRANT }));
    const result = await runDoctor(
      options({
        method: 'PUT',
        credentials: 'include',
        headers: [
          ['Authorization', 'Bearer s3cr3t-token'],
          ['Content-Type', 'text/plain'],
        ],
      }),
      t,
    );
    const text = formatDoctorText(result) + formatDoctorJson(result);
    assert.doesNotMatch(text, /s3cr3t-token/);
    assert.match(text, new RegExp(`Authorization: \\${HIDDEN.slice(0, -1)}\\)`));
    assert.match(text, /Content-Type: text\/plain/); // safelisted values are shown
  });

  it('a warning alone still allows', async () => {
    const t = fake(() => ({ status: 200, statusText: 'OK', headers: [['Access-Control-Allow-Origin', ORIGIN]] }));
    const result = await runDoctor(options(), t);
    assert.equal(result.verdict, 'allowed');
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['vary-origin-missing'],
    );
  });

  it('flags mixed content even when the server grants the origin', async () => {
    const t = fake(() => ({ status: 200, statusText: 'OK', headers: GRANT }));
    const result = await runDoctor(options({ url: new URL('http://api.example.com/') }), t);
    assert.equal(result.verdict, 'blocked');
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['mixed-content'],
    );
  });

  it('does not apply CORS to a same-origin request', async () => {
    const t = fake(() => ({ status: 200, statusText: 'OK', headers: [] }));
    const result = await runDoctor(options({ url: new URL(`${ORIGIN}/api`), method: 'PUT' }), t);
    assert.equal(result.verdict, 'allowed');
    assert.deepEqual(
      t.sent.map((r) => r.method),
      ['PUT'],
    );
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['same-origin'],
    );
  });

  it('turns a network failure into probe-failed and keeps the failed step', async () => {
    const t: Transport = {
      request: () =>
        Promise.reject(
          new ProbeError(
            'ECONNREFUSED',
            'cannot reach https://api.example.com/v1/items: connection refused (ECONNREFUSED)',
          ),
        ),
      upgrade: () => Promise.reject(new Error('unused')),
    };
    const result = await runDoctor(options(), t);
    assert.equal(result.verdict, 'probe-failed');
    assert.equal(result.error?.code, 'ECONNREFUSED');
    assert.match(result.steps[0]?.error ?? '', /connection refused/);
  });

  it('rethrows a bug rather than calling it a probe failure', async () => {
    const t: Transport = {
      request: () => Promise.reject(new TypeError('bug')),
      upgrade: () => Promise.reject(new TypeError('bug')),
    };
    await assert.rejects(runDoctor(options(), t), TypeError);
  });
});

describe('runDoctor --ws', () => {
  const wsOptions = options({ url: new URL('wss://api.example.com/socket'), ws: true });

  function handshake(accepts: (origin: string) => boolean, badAccept = false): Transport & { sent: OutgoingRequest[] } {
    return fake((req) => {
      const origin = header(req.headers, 'Origin') ?? '';
      const key = header(req.headers, 'Sec-WebSocket-Key') ?? '';
      if (!accepts(origin)) return { status: 403, statusText: 'Forbidden', headers: [] };
      return {
        status: 101,
        statusText: 'Switching Protocols',
        headers: [
          ['Upgrade', 'websocket'],
          ['Sec-WebSocket-Accept', badAccept ? 'nope' : websocketAccept(key)],
        ],
      };
    });
  }

  it('sends a browser handshake, then checks that a foreign origin is refused', async () => {
    const t = handshake((o) => o === ORIGIN);
    const result = await runDoctor(wsOptions, t);
    assert.equal(result.verdict, 'allowed');
    assert.deepEqual(result.findings, []);
    assert.equal(t.sent.length, 2);
    assert.equal(header(t.sent[0]?.headers ?? [], 'Sec-WebSocket-Version'), '13');
    assert.equal(header(t.sent[0]?.headers ?? [], 'Origin'), ORIGIN);
    assert.equal(header(t.sent[1]?.headers ?? [], 'Origin'), 'https://cors-safety-doctor.invalid');
  });

  it('refused: ws-refused with the status', async () => {
    const result = await runDoctor(
      wsOptions,
      handshake(() => false),
    );
    assert.equal(result.verdict, 'blocked');
    assert.deepEqual(
      result.findings.map((f) => `${f.code}:${f.detail ?? ''}`),
      ['ws-refused:origin-or-auth'],
    );
    assert.match(result.findings[0]?.cause ?? '', /403 Forbidden/);
  });

  it('warns when any origin is accepted', async () => {
    const result = await runDoctor(
      wsOptions,
      handshake(() => true),
    );
    assert.equal(result.verdict, 'allowed');
    assert.deepEqual(
      result.findings.map((f) => `${f.code}:${f.severity}`),
      ['ws-origin-not-checked:warning'],
    );
  });

  it('fails a 101 with a wrong Sec-WebSocket-Accept', async () => {
    const result = await runDoctor(
      wsOptions,
      handshake(() => true, true),
    );
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['ws-accept-invalid'],
    );
    assert.equal(result.verdict, 'blocked');
  });
});
