/**
 * `cors-safety doctor` against real nginx: a 502 nginx makes itself (app down, no generated files)
 * is named as a proxy error whose fix is `cors-safety nginx`; with the generated files included,
 * the same request is readable and doctor says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/run.js';
import { createNginxConfig } from '../../src/index.js';
import {
  assertNginxPresent,
  exampleSite,
  freePort,
  nginxSkip,
  nginxSupport,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx.js';
import { ALLOWED, POLICY } from './nginx-app.js';

const support = nginxSupport('test/proxy/nginx-doctor.test.ts');

interface DoctorJson {
  verdict: string;
  findings: { code: string; detail?: string; cause: string; fix: string }[];
}

async function doctor(url: string): Promise<{ code: number; json: DoctorJson }> {
  let out = '';
  const code = await run(['doctor', url, '--origin', ALLOWED, '--credentials', '--json'], {
    stdout: (text) => (out += text),
    stderr: () => undefined,
  });
  return { code, json: JSON.parse(out) as DoctorJson };
}

describe('doctor recognises errors made by nginx', { skip: nginxSkip(support) }, () => {
  let bare: RunningNginx;
  let generated: RunningNginx;

  before(async () => {
    assertNginxPresent(support);
    const upstreamPort = await freePort();
    // nginx as most people run it: proxy_pass and nothing for CORS.
    bare = await startNginx(
      support,
      (_dir, port) =>
        `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${upstreamPort}; } }`,
    );
    const config = createNginxConfig(POLICY);
    generated = await startNginx(support, exampleSite({ upstreamPort }), {
      'cors-safety-http.conf': config.http,
      'cors-safety-server.conf': config.server,
    });
  });

  after(async () => {
    await bare?.stop();
    await generated?.stop();
  });

  it('a bare 502 from nginx: the cause names the proxy and the fix points to cors-safety nginx', async () => {
    const { code, json } = await doctor(`${bare.url}/api/me`);
    assert.equal(code, 1);
    assert.equal(json.verdict, 'blocked');
    const finding = json.findings.find((f) => f.code === 'no-allow-origin');
    assert.equal(finding?.detail, 'proxy-error');
    assert.match(finding?.cause ?? '', /502 made by the nginx proxy/);
    assert.match(finding?.fix ?? '', /cors-safety nginx --config/);
    assert.match(finding?.fix ?? '', /Do not add `add_header Access-Control-Allow-Origin \$http_origin`/);
  });

  it('with the generated files the same 502 is readable by the allowed origin', async () => {
    const { code, json } = await doctor(`${generated.url}/api/me`);
    assert.equal(json.verdict, 'allowed', JSON.stringify(json.findings));
    assert.equal(code, 0);
  });
});
