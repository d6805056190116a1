/**
 * Micro-benchmark of the per-request CORS work, without sockets or HTTP parsing.
 *
 * Each call is what one request costs in the middleware: `corsSafety()` (the origin decision,
 * the headers set on the response and, when the handler writes the head, the re-application of
 * the decision at `writeHead`) against the `cors` package (its per-request option merging, the
 * scan of the origin array, the headers it sets). Both get a fresh fake request (built from the
 * same case) and a fresh fake response per call whose `setHeader` calls are counted. A third row times
 * `decideOrigin()` alone: the policy decision without any header work.
 */
import cors from 'cors';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CASES,
  caseRequest,
  corsPackageOptions,
  corsSafetyOptions,
  listLabel,
  responseProblem,
  type CaseName,
  type CaseRequest,
  type HttpVariant,
  type ListSpec,
} from './fixtures.js';
import type { Library } from './library.js';
import { DECISION_CHANNEL } from '../src/events/decision-channel.js';
import { machineBusyMicros, otherCpuPercent, undisturbed } from './machine.js';

export type DecisionSubject = 'cors-safety' | 'cors' | 'decide-origin' | 'cors-safety-subscribed';
export const DECISION_SUBJECTS: readonly DecisionSubject[] = [
  'cors-safety',
  'cors',
  'decide-origin',
  'cors-safety-subscribed',
];

/**
 * Runs `measure` with a subscriber on the `cors-safety:decision` channel when the subject is the
 * subscribed one (a subscriber is process-wide: the other subjects run without it).
 */
function withSubscriber<T>(subject: DecisionSubject, measure: () => T): T {
  if (subject !== 'cors-safety-subscribed') return measure();
  let received = 0;
  const onMessage = (): void => {
    received++;
  };
  subscribe(DECISION_CHANNEL, onMessage);
  let result: T;
  try {
    result = measure();
  } finally {
    unsubscribe(DECISION_CHANNEL, onMessage);
  }
  if (received === 0) throw new Error('decision benchmark: the subscriber received no event; aborting');
  return result;
}

export interface DecisionSettings {
  /** The compiled library (see bench/library.ts). */
  readonly lib: Library;
  readonly lists: readonly ListSpec[];
  readonly rounds: number;
  /** Milliseconds of calls per measurement. */
  readonly durationMs: number;
  /** Times a run disturbed by other processes is measured again (see machine.ts). */
  readonly maxRetries: number;
  readonly log: (line: string) => void;
}

export interface DecisionSample {
  readonly list: number;
  readonly caseName: CaseName;
  readonly subject: DecisionSubject;
  readonly round: number;
  readonly callsPerSecond: number;
  /** CPU used by other processes during the measurement, percent of one core (see machine.ts). */
  readonly otherCpuPercent: number;
  readonly retries: number;
  readonly disturbed: boolean;
}

export interface DecisionResult {
  readonly settings: Omit<DecisionSettings, 'log' | 'lib'>;
  readonly samples: readonly DecisionSample[];
  /** setHeader calls per request, by list, case and middleware (a fairness check: both do comparable work). */
  readonly setHeaderCalls: readonly {
    list: number;
    caseName: CaseName;
    subject: 'cors-safety' | 'cors';
    calls: number;
  }[];
}

type Value = string | number | readonly string[];

/** The parts of ServerResponse both middlewares use, backed by a Map, counting headers set (setHeader or writeHead). */
class FakeResponse {
  statusCode = 200;
  headersSent = false;
  setHeaderCalls = 0;
  readonly #headers = new Map<string, Value>();

  setHeader(name: string, value: Value): this {
    this.setHeaderCalls++;
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }
  getHeader(name: string): Value | undefined {
    return this.#headers.get(name.toLowerCase());
  }
  hasHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.#headers.delete(name.toLowerCase());
  }
  getHeaderNames(): string[] {
    return [...this.#headers.keys()];
  }
  getHeaders(): Record<string, Value> {
    return Object.fromEntries(this.#headers);
  }
  /** Like Node: headers passed here (an object or a flat [name, value, ...] list) join the others. */
  writeHead(status: number, headers?: Record<string, Value> | readonly string[]): this {
    this.statusCode = status;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(headers[i] as string, headers[i + 1] as string);
    } else if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers as Record<string, Value>)) this.setHeader(name, value);
    }
    this.headersSent = true;
    return this;
  }
  end(): this {
    if (!this.headersSent) this.writeHead(this.statusCode);
    return this;
  }
}

type Next = (err?: unknown) => void;
type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

function fakeRequest(request: CaseRequest): IncomingMessage {
  return {
    method: request.method,
    url: '/',
    headers: { ...request.headers },
    socket: {},
  } as unknown as IncomingMessage;
}

/**
 * One request through a middleware: the middleware, then (when it calls next) the handler
 * writing the head, as `res.end()` would. A preflight is ended by the middleware itself.
 */
function oneRequest(middleware: Handler, req: IncomingMessage): FakeResponse {
  const res = new FakeResponse();
  middleware(req, res as unknown as ServerResponse, () => {
    res.writeHead(200);
  });
  return res;
}

/** Times `call` in batches for about `durationMs`; returns calls per second. */
function time(call: () => unknown, durationMs: number): { callsPerSecond: number; otherCpuPercent: number } {
  const batch = 256;
  let calls = 0;
  let sink = 0;
  const busyBefore = machineBusyMicros();
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(durationMs * 1e6));
  let elapsed = 0n;
  do {
    for (let i = 0; i < batch; i++) if (call() !== undefined) sink++;
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  const cpu = process.cpuUsage(cpuBefore);
  const busyAfter = machineBusyMicros();
  if (sink < 0) throw new Error('unreachable');
  const seconds = Number(elapsed) / 1e9;
  return {
    callsPerSecond: calls / seconds,
    otherCpuPercent: otherCpuPercent(busyBefore, busyAfter, cpu.user + cpu.system, seconds),
  };
}

interface Subjects {
  readonly call: Readonly<Record<DecisionSubject, () => unknown>>;
  readonly setHeaderCalls: Readonly<Record<'cors-safety' | 'cors', number>>;
}

/** Builds the three subjects for one list and case, and checks each middleware's answer first. */
function prepare(lib: Library, spec: ListSpec, caseName: CaseName): Subjects {
  const { corsSafety } = lib.index;
  const { decideOrigin } = lib.originCheck;
  const { compiledPolicy, createCorsPolicy } = lib.policy;
  const request = caseRequest(caseName, spec);
  // A fresh request object per call, as a server has: corsSafety() remembers which instance decided
  // a request (one policy per request), so a reused object would be passed through undecided.
  const req = fakeRequest(request);
  const ours = corsSafety(corsSafetyOptions(spec)) as unknown as Handler;
  const theirs = cors(corsPackageOptions(spec)) as unknown as Handler;
  const compiled = compiledPolicy(createCorsPolicy(corsSafetyOptions(spec)));
  const counts = { 'cors-safety': 0, cors: 0 };
  for (const [variant, middleware] of [
    ['cors-safety', ours],
    ['cors', theirs],
  ] as [HttpVariant & ('cors-safety' | 'cors'), Handler][]) {
    const res = oneRequest(middleware, fakeRequest(request));
    const problem = responseProblem(variant, caseName, spec, { status: res.statusCode, headers: res.getHeaders() });
    if (problem !== undefined)
      throw new Error(`decision benchmark: ${variant} (${listLabel(spec)}), case ${caseName}: ${problem}; aborting`);
    counts[variant] = res.setHeaderCalls;
  }
  const origin = request.headers.origin;
  return {
    call: {
      'cors-safety': () => oneRequest(ours, fakeRequest(request)),
      // The same middleware; withSubscriber() adds the subscriber around its measurement.
      'cors-safety-subscribed': () => oneRequest(ours, fakeRequest(request)),
      cors: () => oneRequest(theirs, fakeRequest(request)),
      'decide-origin': () => decideOrigin(compiled, origin, req),
    },
    setHeaderCalls: counts,
  };
}

/** Runs the micro-benchmark: subjects interleaved, rounds repeated, per list and case. */
export async function runDecisionBench(settings: DecisionSettings): Promise<DecisionResult> {
  const samples: DecisionSample[] = [];
  const setHeaderCalls: DecisionResult['setHeaderCalls'][number][] = [];
  for (const [list, spec] of settings.lists.entries()) {
    for (const caseName of CASES) {
      const subjects = prepare(settings.lib, spec, caseName);
      setHeaderCalls.push({ list, caseName, subject: 'cors-safety', calls: subjects.setHeaderCalls['cors-safety'] });
      setHeaderCalls.push({ list, caseName, subject: 'cors', calls: subjects.setHeaderCalls.cors });
      // Warm-up: let the JIT settle on every subject before anything is recorded.
      for (const subject of DECISION_SUBJECTS)
        withSubscriber(subject, () => time(subjects.call[subject], Math.max(20, settings.durationMs / 2)));
      for (let round = 0; round < settings.rounds; round++) {
        for (const subject of DECISION_SUBJECTS) {
          const label = `decision: ${listLabel(spec)} | ${caseName} | ${subject} | round ${round + 1}`;
          const measured = await undisturbed(
            () => withSubscriber(subject, () => time(subjects.call[subject], settings.durationMs)),
            label,
            settings.log,
            settings.maxRetries,
          );
          samples.push({ list, caseName, subject, round, ...measured });
        }
      }
      const last = samples
        .slice(-DECISION_SUBJECTS.length)
        .map((s) => `${s.subject} ${Math.round(s.callsPerSecond)}/s`);
      settings.log(`decision: ${listLabel(spec)} | ${caseName}: ${last.join(', ')}`);
    }
  }
  return {
    settings: {
      lists: settings.lists,
      rounds: settings.rounds,
      durationMs: settings.durationMs,
      maxRetries: settings.maxRetries,
    },
    samples,
    setHeaderCalls,
  };
}
