/**
 * The doctor's vocabulary: a finding is one thing wrong (or risky) with one step, with a stable
 * code that the text report, `--json` output and tests share.
 */

/**
 * `error`: a browser blocks the request. `critical`: a browser allows it, and so it would for any
 * website (a security hole). `warning`: it works, but something is risky or unchecked.
 */
export type Severity = 'error' | 'critical' | 'warning';

/** Which exchange a finding is about. `request` means the request itself, before any response. */
export type StepName =
  | 'request'
  | 'preflight'
  | 'actual'
  | 'websocket'
  | 'foreign-origin'
  | 'websocket-foreign-origin'
  | 'socketio-polling'
  | 'socketio-session'
  | 'socketio-upgrade';

/** Stable finding codes. Documented in docs/troubleshooting.md's doctor table; never rename one. */
export type FindingCode =
  | 'no-allow-origin'
  | 'allow-origin-duplicated'
  | 'allow-origin-list'
  | 'allow-origin-mismatch'
  | 'wildcard-with-credentials'
  | 'credentials-not-allowed'
  | 'preflight-status'
  | 'preflight-redirect'
  | 'preflight-header-invalid'
  | 'method-not-allowed'
  | 'header-not-allowed'
  | 'vary-origin-missing'
  | 'redirect-not-followed'
  | 'mixed-content'
  | 'method-refused-by-node'
  | 'same-origin'
  | 'cookies-cross-site'
  | 'ws-refused'
  | 'ws-accept-invalid'
  | 'ws-origin-not-checked'
  | 'socketio-refused'
  | 'socketio-upgrade-failed'
  | 'socketio-no-upgrade'
  | 'socketio-session-unknown'
  | 'allow-origin-reflected'
  | 'error-status-readable'
  | 'authorization-wildcard'
  | 'local-network-access';

/** One diagnosis: what is wrong (`cause`), what to change (`fix`), and how bad it is. */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly step: StepName;
  /** A stable sub-diagnosis, e.g. `localhost-alias` for `allow-origin-mismatch`. */
  readonly detail?: string | undefined;
  readonly cause: string;
  readonly fix: string;
}

/** True when a browser would block: any error-severity finding. */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}
