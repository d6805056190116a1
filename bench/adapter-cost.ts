/**
 * What each adapter adds to one request, side by side under the same conditions: corsSafety()
 * on node:http's own IncomingMessage/ServerResponse (no socket) and withCorsSafety() on Node's own
 * Request/Response, each against the same application alone. One harness for both: calls awaited
 * one at a time (a server answers each), CPU time of the process per call (steadier than wall
 * time on a shared machine), the four subjects interleaved within each round; the figure is the
 * median over rounds of (with the adapter − alone), measured in the same round.
 *
 * The application, in both: a 200 with `Content-Type: text/plain` and no body (a body's stream
 * costs far more than CORS does and is the same with or without the adapter). For a preflight,
 * the adapter answers alone (the application never runs) and the baseline is still the
 * application's 200.
 */
import http from 'node:http';
import { Socket } from 'node:net';
import {
  CASES,
  CASE_LABELS,
  caseRequest,
  corsSafetyOptions,
  listLabel,
  type CaseName,
  type ListSpec,
} from './fixtures.js';
import type { Library } from './library.js';
import { summarize, type Summary } from './stats.js';

type Subject = 'node-alone' | 'node-cors-safety' | 'fetch-alone' | 'fetch-with-cors-safety';
const SUBJECTS: readonly Subject[] = ['node-alone', 'node-cors-safety', 'fetch-alone', 'fetch-with-cors-safety'];

export interface AdapterSettings {
  readonly lib: Library;
  readonly lists: readonly ListSpec[];
  readonly rounds: number;
  /** Milliseconds of calls per measurement. */
  readonly durationMs: number;
  readonly log: (line: string) => void;
}

interface Row {
  readonly list: ListSpec;
  readonly caseName: CaseName;
  /** Nanoseconds of CPU per request. */
  readonly node: Summary;
  readonly fetch: Summary;
  readonly nodeAlone: Summary;
  readonly fetchAlone: Summary;
}

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

/** The subjects of one list and case, each a call that answers one request. */
function prepare(lib: Library, spec: ListSpec, caseName: CaseName): Record<Subject, () => unknown> {
  const request = caseRequest(caseName, spec);
  const socket = new Socket();
  const nodeRequest = (): http.IncomingMessage => {
    // A fresh request per call, as a server has: corsSafety() remembers the requests it decided.
    const req = new http.IncomingMessage(socket);
    req.method = request.method;
    req.url = '/';
    req.headers = { host: 'localhost', ...request.headers };
    return req;
  };
  const application = (res: http.ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
  };
  const middleware = lib.index.corsSafety(corsSafetyOptions(spec)) as unknown as NodeHandler;
  const fetchRequest = new Request('http://localhost/', { method: request.method, headers: request.headers });
  const init = { headers: { 'Content-Type': 'text/plain' } };
  const handler = (): Response => new Response(null, init);
  const wrapped = lib.fetch.withCorsSafety(corsSafetyOptions(spec), handler);
  return {
    'node-alone': () => {
      application(new http.ServerResponse(nodeRequest()));
    },
    'node-cors-safety': () => {
      const req = nodeRequest();
      const res = new http.ServerResponse(req);
      middleware(req, res, () => {
        application(res);
      });
    },
    'fetch-alone': handler,
    'fetch-with-cors-safety': () => wrapped(fetchRequest),
  };
}

/** A benchmark of a misconfigured adapter measures nothing: check one answer of each first. */
async function check(lib: Library, spec: ListSpec, caseName: CaseName): Promise<void> {
  const request = caseRequest(caseName, spec);
  const wrapped = lib.fetch.withCorsSafety(corsSafetyOptions(spec), () => new Response(null));
  const response = await wrapped(new Request('http://localhost/', request));
  const granted = response.headers.get('access-control-allow-origin');
  const expected = caseName === 'denied' ? null : (request.headers.origin ?? null);
  const status = caseName === 'preflight' ? 204 : 200;
  if (granted !== expected || response.status !== status)
    throw new Error(
      `adapter benchmark: withCorsSafety (${listLabel(spec)}), case ${caseName}: ` +
        `status ${response.status}, Access-Control-Allow-Origin ${String(granted)}; aborting`,
    );
  const req = new http.IncomingMessage(new Socket());
  req.method = request.method;
  req.url = '/';
  req.headers = { host: 'localhost', ...request.headers };
  const res = new http.ServerResponse(req);
  (lib.index.corsSafety(corsSafetyOptions(spec)) as unknown as NodeHandler)(req, res, () => {
    res.writeHead(200).end();
  });
  // The head as written (a preflight's headers go through writeHead(), not setHeader()).
  const head = (res as unknown as { _header?: string })._header ?? '';
  const nodeGranted = /^access-control-allow-origin: (.*)$/im.exec(head)?.[1]?.trim() ?? null;
  if (nodeGranted !== expected || res.statusCode !== status)
    throw new Error(
      `adapter benchmark: corsSafety() (${listLabel(spec)}), case ${caseName} answers otherwise; aborting`,
    );
}

/** Nanoseconds of this process's CPU per call, calls awaited one at a time for about `durationMs`. */
async function cpuPerCall(call: () => unknown, durationMs: number): Promise<number> {
  const budget = BigInt(Math.round(durationMs * 1e6));
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  let calls = 0;
  do {
    for (let i = 0; i < 64; i++) await call();
    calls += 64;
  } while (process.hrtime.bigint() - start < budget);
  const cpu = process.cpuUsage(cpuBefore);
  return ((cpu.user + cpu.system) * 1000) / calls;
}

async function measure(settings: AdapterSettings, spec: ListSpec, caseName: CaseName): Promise<Row> {
  await check(settings.lib, spec, caseName);
  const subjects = prepare(settings.lib, spec, caseName);
  for (const subject of SUBJECTS) await cpuPerCall(subjects[subject], Math.max(20, settings.durationMs / 2));
  const per: Record<Subject, number[]> = {
    'node-alone': [],
    'node-cors-safety': [],
    'fetch-alone': [],
    'fetch-with-cors-safety': [],
  };
  for (let round = 0; round < settings.rounds; round++)
    for (const subject of SUBJECTS) per[subject].push(await cpuPerCall(subjects[subject], settings.durationMs));
  const added = (withAdapter: number[], alone: number[]): Summary =>
    summarize(withAdapter.map((value, round) => value - (alone[round] ?? Number.NaN)));
  const row = {
    list: spec,
    caseName,
    node: added(per['node-cors-safety'], per['node-alone']),
    fetch: added(per['fetch-with-cors-safety'], per['fetch-alone']),
    nodeAlone: summarize(per['node-alone']),
    fetchAlone: summarize(per['fetch-alone']),
  };
  settings.log(
    `adapters: ${listLabel(spec)} | ${caseName}: corsSafety() +${(row.node.median / 1000).toFixed(2)} µs, ` +
      `withCorsSafety() +${(row.fetch.median / 1000).toFixed(2)} µs per request`,
  );
  return row;
}

const micros = (s: Summary): string =>
  s.n <= 1
    ? (s.median / 1000).toFixed(2)
    : `${(s.median / 1000).toFixed(2)} [${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)}]`;

/**
 * Runs the comparison for every list and case and returns its markdown section (printed and
 * appended to the report, like the live-policy figures).
 *
 * @example
 * ```ts
 * const markdown = await runAdapterBench({ lib, lists: FULL_LISTS, rounds: 7, durationMs: 150, log: console.error });
 * ```
 */
export async function runAdapterBench(settings: AdapterSettings): Promise<string> {
  const rows: Row[] = [];
  for (const spec of settings.lists) for (const caseName of CASES) rows.push(await measure(settings, spec, caseName));
  const lines = [
    '',
    '## Adapter cost: corsSafety() and withCorsSafety() side by side (issue #25)',
    '',
    `\`bench/adapter-cost.ts\`: CPU µs per request that each adapter adds to the same application, in one ` +
      `process, no sockets, calls awaited one at a time; corsSafety() on node:http's IncomingMessage/ServerResponse, ` +
      `withCorsSafety() on Node's Request/Response; the application answers 200 with no body (the adapter answers a ` +
      `preflight alone). ${settings.durationMs} ms per measurement, ${settings.rounds} rounds, the four subjects ` +
      `interleaved; each figure is the median [min–max] over rounds of (with the adapter − alone) measured in the same round.`,
    '',
    '| Allow-list | Case | corsSafety() adds µs | withCorsSafety() adds µs | node:http app alone µs | fetch app alone µs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${listLabel(row.list)} | ${CASE_LABELS[row.caseName]} | ${micros(row.node)} | ${micros(row.fetch)} | ` +
        `${(row.nodeAlone.median / 1000).toFixed(2)} | ${(row.fetchAlone.median / 1000).toFixed(2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
