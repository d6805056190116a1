/**
 * `cors-safety doctor --console` and `--har`: diagnose from what the user already has, then (for
 * console messages that name a URL and an origin, or with `--replay` for a HAR) run the live probe
 * on the same request. Text and `--json` output.
 */
import { consoleFindings } from './console-findings.js';
import { parseConsole, type ConsoleMessage } from './console-input.js';
import type { DoctorOptions, DoctorResult } from './doctor.js';
import { runDoctor } from './doctor.js';
import { isForbiddenRequestHeaderName } from '../shared/header-names.js';
import { normalizeMethod } from '../shared/methods.js';
import type { Finding } from './findings.js';
import { analyzeHar, type HarDiagnosis } from './har-input.js';
import type { Transport } from './probe.js';
import { formatDoctorText } from './report.js';

/** How to diagnose. */
export interface DiagnoseOptions {
  /** Run the live probe for messages/entries that name a URL and an origin. */
  readonly probe: boolean;
  /** The page origin, for messages that do not name it (Firefox's). */
  readonly origin?: string | undefined;
  readonly timeoutMs: number;
}

/** One diagnosed message or HAR entry. */
export interface Diagnosis {
  /** `line 3` or `entry 12`. */
  readonly where: string;
  readonly what: string;
  readonly url?: string | undefined;
  readonly origin?: string | undefined;
  readonly findings: readonly Finding[];
  readonly cannotTell?: string | undefined;
  readonly answeredBy?: string | undefined;
  readonly probe?: DoctorResult | undefined;
}

/** The answer for one input. */
export interface DiagnoseResult {
  readonly input: 'console' | 'har';
  readonly diagnoses: readonly Diagnosis[];
  readonly warnings: readonly string[];
}

function probeOptions(
  url: string,
  origin: string,
  method: string,
  headerNames: readonly string[],
  credentials: boolean,
  timeoutMs: number,
): DoctorOptions | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!/^(https?|wss?):$/.test(parsed.protocol)) return undefined;
  const ws = parsed.protocol === 'ws:' || parsed.protocol === 'wss:';
  // Header values are never taken from the input: placeholders stand in, as for -H Name.
  const headers = headerNames
    .filter((name) => !isForbiddenRequestHeaderName(name) && !/^(accept|sec-|origin$|referer$|user-agent$)/i.test(name))
    .map((name): [string, string] => [
      name,
      name.toLowerCase() === 'content-type' ? 'application/json' : 'cors-safety-probe',
    ]);
  return {
    url: parsed,
    origin,
    method: ws ? 'GET' : normalizeMethod(method),
    headers: ws ? [] : headers,
    credentials: credentials ? 'include' : 'same-origin',
    ws,
    timeoutMs,
  };
}

async function probe(options: DoctorOptions | undefined, transport: Transport): Promise<DoctorResult | undefined> {
  return options === undefined ? undefined : runDoctor(options, transport);
}

function consoleProbeOptions(message: ConsoleMessage, origin: string, timeoutMs: number): DoctorOptions | undefined {
  if (message.url === undefined) return undefined;
  const { fact } = message;
  const method = fact.kind === 'method-not-allowed' && fact.method !== '' ? fact.method : 'GET';
  const headers = fact.kind === 'header-not-allowed' ? [fact.header] : [];
  const credentials = fact.kind === 'wildcard-with-credentials' || fact.kind === 'credentials-not-allowed';
  return probeOptions(message.url, origin, method, headers, credentials, timeoutMs);
}

/**
 * WebKit prints one message for two causes: a missing and a mismatched Access-Control-Allow-Origin,
 * and two header lines and a list in one. Both causes are listed; this says so.
 */
function sameMessageNote(message: ConsoleMessage, probed: boolean): string | undefined {
  const { fact } = message;
  const which =
    fact.kind === 'no-allow-origin' && fact.orMismatch === true
      ? 'a missing and for a mismatched Access-Control-Allow-Origin'
      : fact.kind === 'allow-origin-multiple' && fact.orList === true
        ? 'two Access-Control-Allow-Origin header lines and for a list in one'
        : undefined;
  if (which === undefined) return undefined;
  const how = probed
    ? 'The live probe below tells which one this server has.'
    : `The live probe tells which: \`cors-safety doctor ${message.url ?? '<url>'} --origin ${message.origin ?? '<page origin>'}\`.`;
  return `WebKit prints this same message for ${which}: both possible causes are listed. ${how}`;
}

/**
 * Diagnoses pasted console text; with `probe`, each message naming a URL and an origin is then
 * probed live.
 *
 * @example
 * ```ts
 * const result = await diagnoseConsole(text, { probe: false, timeoutMs: 10_000 }, nodeTransport);
 * ```
 */
export async function diagnoseConsole(
  text: string,
  options: DiagnoseOptions,
  transport: Transport,
): Promise<DiagnoseResult> {
  const diagnoses: Diagnosis[] = [];
  for (const message of parseConsole(text)) {
    const origin = message.origin ?? options.origin;
    const withOrigin: ConsoleMessage = { ...message, origin };
    const probeOpts =
      options.probe && origin !== undefined ? consoleProbeOptions(withOrigin, origin, options.timeoutMs) : undefined;
    const note = sameMessageNote(withOrigin, probeOpts !== undefined);
    diagnoses.push({
      where: `line ${message.line}`,
      what: `${message.engine}: ${message.quote}`,
      url: message.url,
      origin,
      findings: consoleFindings(withOrigin),
      ...(note === undefined ? {} : { cannotTell: note }),
      probe: await probe(probeOpts, transport),
    });
  }
  const warnings =
    diagnoses.length === 0
      ? ['no CORS or WebSocket error message found in the text (paste the console lines as they are)']
      : [];
  return { input: 'console', diagnoses, warnings };
}

function harDiagnosis(d: HarDiagnosis): Diagnosis {
  return {
    where: `entry ${d.entry}`,
    what: `${d.method} ${d.url} -> ${d.status === 0 ? '(no response)' : d.status}`,
    url: d.url,
    origin: d.origin,
    findings: d.findings,
    ...(d.cannotTell === undefined || d.cannotTell === '' ? {} : { cannotTell: d.cannotTell }),
    answeredBy: d.answeredBy,
  };
}

/**
 * Diagnoses a parsed HAR document; with `probe` (`--replay`), each failed request is probed live.
 * Throws `HarFormatError` when the document is not a HAR log.
 */
export async function diagnoseHar(
  document: unknown,
  options: DiagnoseOptions,
  transport: Transport,
): Promise<DiagnoseResult> {
  const result = analyzeHar(document);
  const warnings: string[] = [];
  if (result.unsanitized.length > 0) {
    warnings.push(
      `this HAR is not sanitized: it holds ${result.unsanitized.join(', ')}. Their values are not printed; do not share ` +
        "the file: export it again with Chrome DevTools' Export HAR (sanitized), or remove those fields first " +
        "(Firefox's export keeps them).",
    );
  }
  if (result.diagnoses.length === 0)
    warnings.push(`no failed cross-origin request among the ${result.entries} entries`);
  const diagnoses: Diagnosis[] = [];
  for (const d of result.diagnoses) {
    const replay =
      options.probe && d.origin !== undefined
        ? probeOptions(
            d.url,
            d.origin,
            d.method === 'OPTIONS' ? 'GET' : d.method,
            [],
            d.credentials === 'include',
            options.timeoutMs,
          )
        : undefined;
    diagnoses.push({ ...harDiagnosis(d), probe: await probe(replay, transport) });
  }
  return { input: 'har', diagnoses, warnings };
}

/** The result as terminal text. */
export function formatDiagnoseText(result: DiagnoseResult): string {
  const lines = [`cors-safety doctor --${result.input}`];
  for (const warning of result.warnings) lines.push(`  note: ${warning}`);
  for (const d of result.diagnoses) {
    lines.push('', `${d.where}: ${d.what}`);
    if (d.origin !== undefined) lines.push(`  page origin: ${d.origin}`);
    if (d.answeredBy !== undefined) lines.push(`  answered by: ${d.answeredBy} (from its Server/Via header)`);
    for (const f of d.findings) {
      lines.push(
        `  ${f.severity === 'error' ? 'ERROR  ' : 'WARNING'} ${f.code}${f.detail === undefined ? '' : ` (${f.detail})`} [${f.step}]`,
      );
      lines.push(`          cause: ${f.cause}`, `          fix:   ${f.fix}`);
    }
    if (d.cannotTell !== undefined) lines.push(`  note: ${d.cannotTell}`);
    if (d.probe !== undefined) {
      lines.push('  live probe of the same request:');
      for (const line of formatDoctorText(d.probe).trimEnd().split('\n')) lines.push(`    ${line}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The result as one JSON document. */
export function formatDiagnoseJson(result: DiagnoseResult): string {
  return `${JSON.stringify(result, (key, value: unknown) => (key === 'url' && value instanceof URL ? value.href : value), 2)}\n`;
}
