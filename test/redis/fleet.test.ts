/**
 * cors-safety/redis with a real redis-server and three server processes sharing it, each serving
 * HTTP (corsSafety) and WebSocket handshakes (upgradeGuard): every instance grants an added
 * origin and stops granting a removed one within one second; an instance restarted mid-way loads
 * the whole set; one cut off from Redis keeps its last good set, reports the outage once, and
 * converges when it is back; a full Redis restart loses nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CorsConfigError, createLivePolicy } from '../../src/index.js';
import { syncWithRedis, type RedisSync } from '../../src/redis/index.js';
import { redisSkip, startRedis, type RunningRedis } from '../helpers/redis.js';
import { scaled } from '../helpers/time.js';
import { wsOutcome } from '../helpers/upgrade-harness.js';

const SERVER = fileURLToPath(new URL('../fixtures/redis-fleet-server.ts', import.meta.url));
const KEY = 'cors:fleet-test';
const T = { timeout: scaled(60_000) };

interface Instance {
  readonly port: number;
  stderr(): string;
  stop(): Promise<void>;
}

async function startInstance(url: string): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER, url, KEY], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${stderr}`)), scaled(20_000));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line !== null) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${String(code)}: ${stderr}`)));
  });
  return {
    port,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether the instance grants `origin` over HTTP and opens a WebSocket for it; both must agree. */
async function grants(instance: Instance, origin: string): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${instance.port}/`, {
    headers: { origin },
    signal: AbortSignal.timeout(scaled(5000)),
  });
  await res.arrayBuffer();
  const http = res.headers.get('access-control-allow-origin') === origin;
  const ws = (await wsOutcome(`ws://127.0.0.1:${instance.port}/`, { origin })).kind === 'open';
  return http && ws;
}

/** Polls until every instance answers `expected` for `origin`; returns the milliseconds it took. */
async function converge(
  instances: readonly Instance[],
  origin: string,
  expected: boolean,
  limit: number,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    const answers = await Promise.all(instances.map((instance) => grants(instance, origin)));
    if (answers.every((answer) => answer === expected)) return performance.now() - start;
    if (performance.now() - start > limit)
      assert.fail(`not converged on ${origin} -> ${String(expected)} within ${limit} ms: ${answers.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A TCP relay to Redis that the test can cut (every connection dropped, new ones refused) and restore. */
async function relay(target: number): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let cut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => (cut = false),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const count = (text: string, code: string): number => text.split(code).length - 1;

describe('cors-safety/redis: a fleet of three processes', { skip: redisSkip() }, () => {
  let redis: RunningRedis;
  let cutOff: Awaited<ReturnType<typeof relay>>;
  let writer: RedisSync;
  const instances: Instance[] = [];

  before(async () => {
    redis = await startRedis();
    cutOff = await relay(redis.port);
    writer = await syncWithRedis(createLivePolicy({ origin: false, env: {} }), { url: redis.url, key: KEY });
    instances.push(
      ...(await Promise.all([startInstance(redis.url), startInstance(redis.url), startInstance(cutOff.url)])),
    );
  });
  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await writer?.close();
    await cutOff?.close();
    await redis?.dispose();
  });

  it('every instance grants an added origin and stops granting a removed one within one second', T, async () => {
    const origin = 'https://shop.customer.net';
    assert.equal(await grants(instances[0] as Instance, origin), false);
    await writer.add([origin, 'https://*.preview.customer.net']);
    const added = await converge(instances, origin, true, scaled(1000));
    await converge(instances, 'https://pr-7.preview.customer.net', true, scaled(1000));
    await writer.remove([origin]);
    const removed = await converge(instances, origin, false, scaled(1000));
    process.stdout.write(`# fleet converged: add in ${added.toFixed(0)} ms, remove in ${removed.toFixed(0)} ms\n`);
  });

  it('validates origins before writing anything', T, async () => {
    await assert.rejects(writer.add(['https://ok.customer.net', 'https://bad.customer.net/path']), CorsConfigError);
    assert.equal(await grants(instances[0] as Instance, 'https://ok.customer.net'), false);
  });

  it('an instance restarted mid-way loads the whole set', T, async () => {
    const restarted = instances[1] as Instance;
    await restarted.stop();
    await writer.add(['https://late.customer.net']);
    const fresh = await startInstance(redis.url);
    instances[1] = fresh;
    assert.equal(await grants(fresh, 'https://late.customer.net'), true, 'granted as soon as it serves');
    assert.equal(await grants(fresh, 'https://pr-9.preview.customer.net'), true);
  });

  it('an instance cut off from Redis keeps its last good set, says so once, and converges when back', T, async () => {
    const isolated = instances[2] as Instance;
    cutOff.cut();
    await writer.add(['https://during-outage.customer.net']);
    await writer.remove(['https://late.customer.net']);
    await converge(instances.slice(0, 2), 'https://during-outage.customer.net', true, scaled(1000));
    assert.equal(await grants(isolated, 'https://late.customer.net'), true, 'the last good set stays in force');
    assert.equal(await grants(isolated, 'https://during-outage.customer.net'), false);
    cutOff.restore();
    await converge(instances, 'https://during-outage.customer.net', true, scaled(10_000));
    await converge(instances, 'https://late.customer.net', false, scaled(1000));
    assert.equal(count(isolated.stderr(), 'CORS_SAFETY_REDIS_DOWN'), 1, isolated.stderr());
    assert.equal(count(isolated.stderr(), 'CORS_SAFETY_REDIS_UP'), 1, isolated.stderr());
  });

  it('a Redis restart loses nothing: the set is kept meanwhile and changes after it reach everyone', T, async () => {
    await redis.stop();
    assert.equal(await grants(instances[0] as Instance, 'https://during-outage.customer.net'), true);
    await redis.start();
    await writer.add(['https://after-restart.customer.net']);
    await converge(instances, 'https://after-restart.customer.net', true, scaled(10_000));
    await converge(instances, 'https://during-outage.customer.net', true, scaled(1000));
  });
});
