/**
 * Output: plain text for a terminal, or one JSON object (`--json`). Formatting only; the
 * decisions are made elsewhere.
 */
import type { DoctorResult, Step } from './doctor.js';
import type { ExplainResult } from './explain.js';
import type { Finding } from './findings.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function stepLine(step: Step, index: number, websocket: boolean): string[] {
  const head = `${index + 1}. ${step.name.padEnd(10)} ${step.request.method} ${step.request.url}`;
  if (step.skipped !== undefined) return [`${head}  (not sent: ${step.skipped})`];
  const lines: string[] = [];
  if (step.response === undefined)
    lines.push(`${head}  (no response${step.error === undefined ? '' : `: ${step.error}`})`);
  else lines.push(`${head}  ->  ${step.response.status} ${step.response.statusText}`.trimEnd());
  for (const [name, value] of step.request.headers) lines.push(`     > ${name}: ${value}`);
  if (step.response !== undefined) {
    if (step.response.headers.length === 0)
      lines.push(websocket ? '     < (no WebSocket headers)' : '     < (no CORS headers)');
    for (const [name, value] of step.response.headers) lines.push(`     < ${name}: ${value}`);
  }
  return lines;
}

function findingLines(finding: Finding): string[] {
  const severity = finding.severity === 'error' ? 'ERROR  ' : finding.severity === 'critical' ? 'CRITICAL' : 'WARNING';
  const detail = finding.detail === undefined ? '' : ` (${finding.detail})`;
  return [
    `  ${severity} ${finding.code}${detail} [${finding.step}]`,
    `          cause: ${finding.cause}`,
    `          fix:   ${finding.fix}`,
  ];
}

function verdictLine(result: DoctorResult): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const critical = result.findings.filter((f) => f.severity === 'critical').length;
  const warnings = result.findings.length - errors - critical;
  const counts =
    `${plural(errors, 'error')}, ${plural(warnings, 'warning')}` + (critical > 0 ? `, ${critical} CRITICAL` : '');
  const what =
    result.socketio === true
      ? 'this socket.io connection'
      : result.websocket
        ? 'this WebSocket connection'
        : 'this request';
  switch (result.verdict) {
    case 'allowed': {
      const readable = result.findings.find((f) => f.code === 'error-status-readable');
      const tail =
        critical > 0
          ? ' - and it would allow any other website too: see the CRITICAL finding'
          : readable !== undefined
            ? ` - the page can read the ${readable.detail ?? 'error'}: the failure is not CORS`
            : '';
      return `Verdict: ALLOWED - a browser would allow ${what} (${counts})${tail}`;
    }
    case 'blocked':
      return `Verdict: BLOCKED - a browser would block ${what} (${counts})`;
    case 'probe-failed':
      return `Verdict: PROBE FAILED - ${result.error?.message ?? 'the probe failed'}`;
  }
}

/** The doctor's result as terminal text. */
export function formatDoctorText(result: DoctorResult, notes: readonly string[] = []): string {
  const lines: string[] = ['cors-safety doctor'];
  const kind = result.socketio === true ? 'socket.io:  ' : result.websocket ? 'handshake:  ' : 'request:    ';
  lines.push(`  ${kind} ${result.method} ${result.url}`);
  lines.push(`  page origin: ${result.origin}`);
  if (result.socketio === true) {
    lines.push(
      `  credentials: ${result.credentials === 'include' ? 'withCredentials: true' : 'not sent (use --credentials for withCredentials: true)'}`,
    );
  } else if (!result.websocket) {
    lines.push(
      `  credentials: ${result.credentials === 'include' ? 'include' : 'not sent (use --credentials for cookies)'}`,
    );
    if (result.preflight === null) lines.push('  preflight:   none (same origin)');
    else if (result.preflight.needed) lines.push(`  preflight:   needed: ${result.preflight.reasons.join('; ')}`);
    else lines.push('  preflight:   not needed (CORS-safelisted method and headers)');
  }
  for (const note of notes) lines.push(`  note:        ${note}`);
  lines.push('');
  result.steps.forEach((step, index) => lines.push(...stepLine(step, index, result.websocket)));
  if (result.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const finding of result.findings) lines.push(...findingLines(finding));
  }
  lines.push('', verdictLine(result));
  return `${lines.join('\n')}\n`;
}

/** The doctor's result as one JSON document. */
export function formatDoctorJson(result: DoctorResult, notes: readonly string[] = []): string {
  const json = {
    verdict: result.verdict,
    request: {
      url: result.url,
      origin: result.origin,
      method: result.method,
      credentials: result.credentials,
      websocket: result.websocket,
      socketio: result.socketio === true,
    },
    preflight:
      result.preflight === null
        ? null
        : {
            needed: result.preflight.needed,
            reasons: result.preflight.reasons,
            requestHeaders: result.preflight.unsafeHeaderNames,
          },
    steps: result.steps,
    findings: result.findings,
    ...(result.error === undefined ? {} : { error: result.error }),
    notes,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** The explain result as terminal text. */
export function formatExplainText(result: ExplainResult): string {
  const lines = ['cors-safety explain', `  origin:   ${result.origin}`, `  policy:   ${result.source}`];
  if (result.kind === 'config-error') {
    lines.push(`  config:   INVALID (${plural(result.issues.length, 'problem')})`);
    for (const issue of result.issues) lines.push(`    - ${issue.path}: ${issue.message} [${issue.code}]`);
    lines.push('', 'No decision: fix the configuration first.');
    return `${lines.join('\n')}\n`;
  }
  const { policy } = result;
  lines.push('  config:   valid');
  lines.push(`  mode:     ${policy.mode}${policy.credentials ? ', credentials: true' : ''}`);
  lines.push(`  rules:    ${policy.rules.length === 0 ? '(none)' : policy.rules.join(', ')}`);
  lines.push('');
  lines.push(`  decision: ${result.allowed ? 'ALLOWED' : 'DENIED'}`);
  lines.push(`  reason:   ${result.reason}`);
  lines.push(`  rule:     ${result.rule ?? '(none matched)'}`);
  if (result.detail !== undefined) lines.push(`  detail:   ${result.detail}`);
  if (result.matchedOrigin !== undefined)
    lines.push(`  grants:   Access-Control-Allow-Origin: ${result.matchedOrigin}`);
  if (result.fix !== undefined)
    lines.push(result.fix.kind === 'impossible' ? `  cannot:   ${result.fix.text}` : `  fix:      ${result.fix.text}`);
  return `${lines.join('\n')}\n`;
}

/** The explain result as one JSON document. */
export function formatExplainJson(result: ExplainResult): string {
  const json =
    result.kind === 'config-error'
      ? { origin: result.origin, source: result.source, valid: false, decision: null, issues: result.issues }
      : {
          origin: result.origin,
          source: result.source,
          valid: true,
          policy: result.policy,
          decision: result.allowed ? 'allowed' : 'denied',
          reason: result.reason,
          rule: result.rule ?? null,
          matchedOrigin: result.matchedOrigin ?? null,
          detail: result.detail ?? null,
          fix: result.fix ?? null,
          issues: [],
        };
  return `${JSON.stringify(json, null, 2)}\n`;
}
