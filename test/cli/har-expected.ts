/**
 * What `doctor --har` must find in a HAR of the page of scripts/har-rig.ts, whichever browser
 * exported it: shared by the fixture test (diagnose-har-exporters.test.ts) and the live export
 * (diagnose-har-live.test.ts).
 */
import type { HarDiagnosis } from '../../src/cli/har-input.js';

/** `METHOD /path` -> `code:detail` of each finding, the same for every exporter. */
export const EXPECTED: Record<string, string> = {
  'GET /error-401': 'no-allow-origin:error-status',
  'GET /nginx-502': 'no-allow-origin:proxy-error',
  'GET /duplicate': 'allow-origin-duplicated:identical',
  'GET /mismatch': 'allow-origin-mismatch:localhost-alias',
  'GET /wildcard-credentials': 'wildcard-with-credentials:',
  'GET /no-credentials': 'credentials-not-allowed:missing',
  'OPTIONS /preflight-401': 'preflight-status:auth',
  'OPTIONS /preflight-redirect': 'preflight-redirect:',
  'OPTIONS /method': 'method-not-allowed:not-listed',
  'OPTIONS /header': 'header-not-allowed:not-listed',
  'GET /list': 'allow-origin-list:',
  'GET /ws': 'ws-refused:origin-or-auth',
};
/** Requests never sent because their preflight failed. */
export const NOT_SENT = ['PUT /preflight-401', 'DELETE /preflight-redirect', 'PATCH /method', 'GET /header'];

/** `METHOD /path` of a diagnosis. */
export function keyOf(d: HarDiagnosis): string {
  return `${d.method} ${new URL(d.url).pathname}`;
}

/** The findings of every diagnosis that has some, in the shape of EXPECTED. */
export function foundCodes(diagnoses: readonly HarDiagnosis[]): Record<string, string> {
  return Object.fromEntries(
    diagnoses
      .filter((d) => d.findings.length > 0)
      .map((d) => [keyOf(d), d.findings.map((f) => `${f.code}:${f.detail ?? ''}`).join(',')]),
  );
}
