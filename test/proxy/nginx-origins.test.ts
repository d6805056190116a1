/**
 * The generated map against the policy itself, through real nginx: a few thousand Origin values,
 * allowed ones and hostile variations of them (case, trailing dots, default and odd ports, look-
 * alike suffixes, punycode, userinfo, paths, random bytes), each sent to nginx with the app down.
 * nginx must grant exactly what `createOriginValidator(policy).check()` grants, and never anything
 * it denies; the only allowed difference is the documented fail-closed one (IPv6 hosts and
 * punycode labels under a wildcard, which nginx denies).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { validateHeaderValue } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createCorsPolicy, createNginxConfig, createOriginValidator, type CorsSafetyOptions } from '../../src/index.js';
import {
  exampleSite,
  freePort,
  nginxSupport,
  assertNginxPresent,
  nginxSkip,
  startNginx,
  type RunningNginx,
} from '../helpers/nginx.js';

const support = nginxSupport('test/proxy/nginx-origins.test.ts');
const skip = nginxSkip(support);

/**
 * Each policy, with the documented fail-closed cases: origins the policy allows that nginx denies
 * (a punycode label under a wildcard, which only the URL parser can validate; an IPv6 host where
 * any origin is reflected, whose canonical form no pattern checks).
 */
const POLICIES: Record<string, { options: CorsSafetyOptions; failClosed: (origin: string) => boolean }> = {
  'allow-list with credentials': {
    // Under the internationalised suffix, labels must also start with a letter (Bidi rule, RFC 5893).
    failClosed: (origin) => origin.includes('xn--'),
    options: {
      origin: [
        'https://app.example.com',
        'https://*.preview.example.com',
        'https://*.example.dev:8443',
        'http://localhost:*',
        'https://127.0.0.1:*',
        'http://[::1]:*',
        'https://*.xn--mgbh0fb.example',
        /^https:\/\/pr-\d+\.example\.dev$/,
        /^https:\/\/(?:eu|us)\.example\.io$/i,
      ],
      allowedHosts: ['.example.org', 'api.example.net:8443', 'localhost:*'],
      credentials: true,
    },
  },
  'any origin (origin: true) and null': {
    options: { origin: true, allowNullOrigin: true },
    failClosed: (origin) => origin.includes('[') || origin.includes('xn--'),
  },
};

/** A small deterministic PRNG (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCHEMES = ['https://', 'http://', 'HTTPS://', 'Https://', 'ws://', 'https:/', 'https:///', ''];
const HOSTS = [
  'app.example.com',
  'preview.example.com',
  'a.preview.example.com',
  'x.y.preview.example.com',
  'a_b.preview.example.com',
  '-a.preview.example.com',
  'xn--nxasmq6b.preview.example.com',
  'xn--abc.preview.example.com',
  'axn--b.preview.example.com',
  '1.preview.example.com',
  'a.example.dev',
  'example.org',
  'deep.sub.example.org',
  'api.example.net',
  'localhost',
  '127.0.0.1',
  '127.000.0.1',
  '2130706433',
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  'pr-12.example.dev',
  'pr-.example.dev',
  'eu.example.io',
  'EU.example.io',
  'a.xn--mgbh0fb.example',
  '1a.xn--mgbh0fb.example',
  'xn--mgbh0fb.example',
  'evil.net',
  '0x7f.example',
  'a.0x1',
  '1.2.3.4',
  'a.1',
];
const PORTS = ['', '', '', ':80', ':443', ':8443', ':08443', ':0', ':1', ':3000', ':65535', ':65536', ':', ':abc'];
const TAILS = ['', '', '', '', '/', '/path', '?', '#', '.', '..', ' ', '%2e'];

function mutate(host: string, rnd: () => number): string {
  const choice = Math.floor(rnd() * 10);
  const at = Math.floor(rnd() * host.length);
  switch (choice) {
    case 0:
      return host.slice(0, at) + host.charAt(at).toUpperCase() + host.slice(at + 1);
    case 1:
      return `${host}.`;
    case 2:
      return `a.${host}`;
    case 3:
      return `${host}.evil.net`;
    case 4:
      return `${'a'.repeat(64)}.${host}`;
    case 5:
      return `user@${host}`;
    case 6:
      return host.replace('.', '..');
    case 7:
      return host.slice(0, at) + String.fromCharCode(0xa0 + Math.floor(rnd() * 0x5f)) + host.slice(at);
    default:
      return host;
  }
}

function origins(count: number): string[] {
  const rnd = random(20261129);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const seen = new Set<string>(['null', 'Null', 'https://app.example.com, https://evil.net']);
  while (seen.size < count) {
    let value: string;
    const kind = rnd();
    const label = (): string => {
      let text = '';
      const length = 1 + Math.floor(rnd() * 10);
      for (let i = 0; i < length; i++)
        text += pick([...Array.from('abcdefghijklmnopqrstuvwxyz0123456789-_'), 'X', 'xn--']);
      return text;
    };
    const port = (): string => String(Math.floor(rnd() * 70000));
    if (kind < 0.2) {
      // Generated names under the rules' domains, on random ports.
      value = pick([
        () => `https://${label()}.preview.example.com`,
        () => `https://${label()}.${label()}.example.org`,
        () => `http://localhost:${port()}`,
        () => `https://127.0.0.1:${port()}`,
        () => `https://pr-${port()}.example.dev`,
        () => `https://${label()}.example.dev:8443`,
        () => `https://${label()}.xn--mgbh0fb.example`,
        () => `${pick(['http', 'https'])}://${label()}.${label()}${pick(['', `:${port()}`])}`,
      ])();
    } else if (kind < 0.35) {
      // Well-formed candidates: many are allowed, the rest are near misses.
      value = pick(['https://', 'http://']) + pick(HOSTS) + pick(['', '', ':8443', ':3000', ':443', ':80']);
    } else if (kind < 0.4) {
      // Random printable bytes (latin1, as an HTTP header value carries them).
      value = '';
      const length = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < length; i++) value += String.fromCharCode(0x21 + Math.floor(rnd() * 0xde));
    } else {
      value = pick(SCHEMES) + mutate(pick(HOSTS), rnd) + pick(PORTS) + pick(TAILS);
    }
    value = value.trim();
    if (value === '') continue;
    try {
      validateHeaderValue('Origin', value);
    } catch {
      continue;
    }
    seen.add(value);
  }
  return [...seen];
}

/** What nginx granted to `origin`: the Access-Control-Allow-Origin values of its 502. */
async function grantOf(agent: http.Agent, url: string, origin: string): Promise<string[]> {
  const req = http.request(url, { agent, headers: { Origin: origin } });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  res.resume();
  await once(res, 'end');
  assert.equal(res.statusCode, 502);
  const values: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    if ((res.rawHeaders[i] as string).toLowerCase() === 'access-control-allow-origin')
      values.push(res.rawHeaders[i + 1] as string);
  return values;
}

for (const [name, { options, failClosed: knownFailClosed }] of Object.entries(POLICIES)) {
  describe(`nginx grants exactly what the policy grants: ${name}`, { skip }, () => {
    const policy = createCorsPolicy(options);
    const validator = createOriginValidator(policy);
    const config = createNginxConfig(policy);
    let proxy: RunningNginx;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

    before(async () => {
      assertNginxPresent(support);
      proxy = await startNginx(support, exampleSite({ upstreamPort: await freePort() }), {
        'cors-safety-http.conf': config.http,
        'cors-safety-server.conf': config.server,
      });
    });

    after(async () => {
      agent.destroy();
      await proxy?.stop();
    });

    it('3000 origins, allowed and hostile: no grant the policy denies, no allowed origin missed', async () => {
      const values = origins(3000);
      const results: { origin: string; granted: string[] }[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < values.length) {
          const origin = values[next++] as string;
          results.push({ origin, granted: await grantOf(agent, `${proxy.url}/`, origin) });
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));

      let allowed = 0;
      let failClosed = 0;
      for (const { origin, granted } of results) {
        const verdict = await validator.check(origin);
        if (!verdict.allowed) {
          assert.deepEqual(granted, [], `nginx granted ${JSON.stringify(origin)}, which the policy denies`);
          continue;
        }
        allowed++;
        if (granted.length === 0 && knownFailClosed(origin)) {
          failClosed++;
          continue;
        }
        assert.deepEqual(granted, [origin], `nginx did not grant ${JSON.stringify(origin)} (${verdict.rule})`);
      }
      process.stdout.write(
        `# ${name}: ${results.length} origins, ${allowed} allowed by the policy, ` +
          `${failClosed} of them denied by nginx (IPv6 / punycode, fail closed)\n`,
      );
      // The sample must exercise both sides, or the comparison proves nothing.
      assert.ok(allowed >= 100, `only ${allowed} allowed origins in the sample`);
      assert.ok(results.length - allowed >= 1000);
    });
  });
}
