/**
 * The fleet of test/redis/: instances of test/fixtures/redis-fleet-server.ts as child processes
 * (killed by the suites' after hooks), probes of every kind of traffic they serve with the real
 * clients (fetch, `ws`, `socket.io-client` on each transport), convergence measured from the
 * moment a change resolved, and the sets they hold (asked over IPC).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REASON_HEADER } from '../../src/index.js';
import { clientOutcome } from '../helpers/socketio.js';
import { scaled } from '../helpers/time.js';
import { wsOutcome } from '../helpers/upgrade-harness.js';

const SERVER = fileURLToPath(new URL('../fixtures/redis-fleet-server.ts', import.meta.url));

/** What an instance reports over IPC: its policy version and its run-time origins. */
export interface InstanceState {
  readonly version: number;
  readonly origins: readonly string[];
}

/** A running instance of the fleet server. */
export interface Instance {
  readonly name: string;
  readonly url: string;
  stderr(): string;
  /** Resolves once it sent `count` messages `{ type: 'arrived', what }`; rejects after a scaled 20 s. */
  waitForArrivals(what: string, count: number): Promise<void>;
  state(): Promise<InstanceState>;
  reconfigure(methods: readonly string[]): Promise<InstanceState>;
  release(): void;
  /** SIGTERM, then SIGKILL if it has not exited within a scaled 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

interface Message {
  readonly type: string;
  readonly id?: number;
  readonly what?: string;
  readonly version?: number;
  readonly origins?: string[];
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(5000));
  await exited;
  clearTimeout(timer);
}

function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${stderr()}`)), scaled(30_000));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(out);
      if (line === null) return;
      clearTimeout(timer);
      resolve(Number(line[1]));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${String(code)}: ${stderr()}`));
    });
  });
}

/** Starts one instance on `redisUrl`; `name` labels it in failure messages. */
export async function startInstance(name: string, redisUrl: string, key: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, redisUrl, key], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const seen = new Map<string, number>();
  const waiters = new Set<() => void>();
  const answers = new Map<number, (state: InstanceState) => void>();
  child.on('message', (message: Message) => {
    if (message.type === 'arrived' && message.what !== undefined)
      seen.set(message.what, (seen.get(message.what) ?? 0) + 1);
    if (message.type === 'answer' && message.id !== undefined)
      answers.get(message.id)?.({ version: message.version ?? 0, origins: [...(message.origins ?? [])].sort() });
    for (const wake of waiters) wake();
  });
  let ids = 0;
  const ask = (message: object): Promise<InstanceState> => {
    const id = ++ids;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} gave no answer to ${JSON.stringify(message)}`)),
        scaled(10_000),
      );
      answers.set(id, (state) => {
        clearTimeout(timer);
        answers.delete(id);
        resolve(state);
      });
      child.send({ ...message, id });
    });
  };
  try {
    const port = await waitForPort(child, () => stderr);
    return {
      name,
      url: `http://127.0.0.1:${port}`,
      stderr: () => stderr,
      waitForArrivals: (what, count) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`${name}: ${String(seen.get(what) ?? 0)} of ${count} ${what} arrived`));
          }, scaled(20_000));
          const check = (): void => {
            if ((seen.get(what) ?? 0) < count) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
      state: () => ask({ type: 'state' }),
      reconfigure: (methods) => ask({ type: 'reconfigure', methods }),
      release: () => void child.send({ type: 'release' }),
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** The kinds of traffic every instance serves. */
export const KINDS = [
  'http',
  'http preflight',
  'http error answer',
  'ws',
  'socket.io websocket',
  'socket.io polling',
  'engine.io handshake',
] as const;
export type Kind = (typeof KINDS)[number];

interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** The status of a granted and of a refused answer. */
  readonly granted: number;
  readonly refused: number;
}

/** The kinds answered by Express: corsSafety() (an actual request, a preflight) and corsErrorHandler(). */
const HTTP_REQUESTS = {
  http: { method: 'GET', path: '/', granted: 200, refused: 200 },
  'http preflight': { method: 'OPTIONS', path: '/', granted: 204, refused: 403 },
  'http error answer': { method: 'GET', path: '/error', granted: 410, refused: 410 },
} satisfies Partial<Record<Kind, HttpRequest>>;

/**
 * One probe with the real client: `granted` when the origin got its grant (its
 * `Access-Control-Allow-Origin`, an open WebSocket, a connected socket.io client that echoed),
 * `refused` on an explicit refusal (no grant and the reason `origin-not-allowed`, a 403 handshake,
 * engine.io's refusal status). The engine.io handshake is also fetched raw, as a browser's first
 * polling request, to see the grant corsSafety() puts on it. Anything else (a timeout, a 500)
 * throws: it is neither.
 */
export async function probe(instance: Instance, kind: Kind, origin: string): Promise<'granted' | 'refused'> {
  const plain = HTTP_REQUESTS[kind as keyof typeof HTTP_REQUESTS] as HttpRequest | undefined;
  if (plain !== undefined) {
    const res = await fetch(`${instance.url}${plain.path}`, {
      method: plain.method,
      // GET: the answer depends on the origin only, whatever methods a reconfigure() leaves.
      headers: plain.method === 'OPTIONS' ? { origin, 'access-control-request-method': 'GET' } : { origin },
      signal: AbortSignal.timeout(scaled(5000)),
    });
    await res.arrayBuffer();
    const allowOrigin = res.headers.get('access-control-allow-origin');
    const reason = res.headers.get(REASON_HEADER);
    if (res.status === plain.granted && allowOrigin === origin && reason === null) return 'granted';
    if (res.status === plain.refused && allowOrigin === null && reason?.startsWith('origin-not-allowed') === true)
      return 'refused';
    throw new Error(`${instance.name} ${kind}: unexpected ${res.status} ${String(allowOrigin)} ${String(reason)}`);
  }
  if (kind === 'ws') {
    const outcome = await wsOutcome(`${instance.url.replace('http', 'ws')}/ws`, { origin }, scaled(5000));
    if (outcome.kind === 'open') return 'granted';
    if (outcome.kind === 'refused' && outcome.status === 403) return 'refused';
    throw new Error(`${instance.name} ws: unexpected ${JSON.stringify(outcome)}`);
  }
  if (kind === 'engine.io handshake') {
    // What a browser's first polling request gets: allowRequest's verdict and corsSafety's grant on one response.
    const res = await fetch(`${instance.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin },
      signal: AbortSignal.timeout(scaled(5000)),
    });
    await res.arrayBuffer();
    const allowOrigin = res.headers.get('access-control-allow-origin');
    if (res.status === 200 && allowOrigin === origin) return 'granted';
    if (res.status === 403 && allowOrigin === null) return 'refused';
    throw new Error(`${instance.name} ${kind}: unexpected ${res.status} ${String(allowOrigin)}`);
  }
  const transport = kind === 'socket.io polling' ? 'polling' : 'websocket';
  const outcome = await clientOutcome(instance.url, [transport], origin);
  if (outcome.kind === 'connected' && outcome.echo === 'ping' && outcome.last === transport) return 'granted';
  // engine.io refuses an allowRequest denial with 403 on polling and 400 on a WebSocket upgrade.
  if (outcome.kind === 'error' && outcome.status === (transport === 'polling' ? 403 : 400)) return 'refused';
  throw new Error(`${instance.name} ${kind}: unexpected ${JSON.stringify(outcome)}`);
}

/** Every kind on every instance, answered now. */
export async function answersOf(instances: readonly Instance[], origin: string): Promise<string[]> {
  const pairs = instances.flatMap((instance) => KINDS.map((kind) => ({ instance, kind })));
  const answers = await Promise.all(pairs.map(({ instance, kind }) => probe(instance, kind, origin)));
  return pairs.map(({ instance, kind }, i) => `${instance.name} ${kind}: ${answers[i] as string}`);
}

/** The answers {@link answersOf} gives when every instance and kind answers `expected`. */
export function all(instances: readonly Instance[], expected: 'granted' | 'refused'): string[] {
  return instances.flatMap((instance) => KINDS.map((kind) => `${instance.name} ${kind}: ${expected}`));
}

/** What {@link converge} measured, in milliseconds after the change resolved. */
export interface Convergence {
  /** The largest upper bound: the end of the first probe that saw the change, over every instance and kind. */
  readonly slowest: number;
  /** Per instance and kind: `began-ended` of the first probe that saw the change (it took effect before the end). */
  readonly each: Record<string, string>;
}

/**
 * Probes every kind on every instance, each in its own loop, until it answers `expected`, and
 * measures from `since` (when the change resolved) to the end of the first probe that saw the
 * change: an upper bound on when it took effect there. Fails after `limit`.
 */
export async function converge(
  instances: readonly Instance[],
  origin: string,
  expected: 'granted' | 'refused',
  since: number,
  limit: number,
): Promise<Convergence> {
  const each: Record<string, string> = {};
  const ends: number[] = [];
  const loops = instances.flatMap((instance) =>
    KINDS.map(async (kind) => {
      for (;;) {
        const began = Math.round(performance.now() - since);
        const answer = await probe(instance, kind, origin);
        const elapsed = Math.round(performance.now() - since);
        if (answer === expected) {
          each[`${instance.name} ${kind}`] = `${began}-${elapsed}`;
          return void ends.push(elapsed);
        }
        if (elapsed > limit)
          assert.fail(`${instance.name} ${kind} still ${answer} for ${origin} ${elapsed} ms after the change`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }),
  );
  await Promise.all(loops);
  return { slowest: Math.max(...ends), each };
}

/** Polls the instances over IPC until every one holds exactly `origins` as its run-time set. */
export async function convergeOnSet(
  instances: readonly Instance[],
  origins: readonly string[],
  limit: number,
): Promise<void> {
  const wanted = [...origins].sort();
  const start = performance.now();
  for (;;) {
    const states = await Promise.all(instances.map((instance) => instance.state()));
    if (states.every((state) => JSON.stringify(state.origins) === JSON.stringify(wanted))) return;
    if (performance.now() - start > limit)
      assert.deepEqual(
        states.map((state) => state.origins),
        instances.map(() => wanted),
        `not one set within ${limit} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How many times `code` occurs in `text`. */
export const count = (text: string, code: string): number => text.split(code).length - 1;
