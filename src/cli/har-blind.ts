/**
 * `doctor --har`: what can be said about a failed request the HAR has no response for. Chrome
 * writes such a request with status 0 and `response._error` (`net::ERR_FAILED` when CORS stopped
 * it, other `net::` codes when the connection or the browser did); Firefox with status 0 and no
 * error at all; automation tools with status -1 and `_failureText`. A request whose preflight
 * failed is never sent, so it is linked to that preflight.
 */
import type { HarDiagnosis, HarEntry } from './har-types.js';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const RUN_LIVE = 'run `cors-safety doctor` on the URL, or --replay';

/** Chrome's `net::` codes that mean the connection failed, not the CORS check. */
const CONNECTION_FAILED =
  /^net::ERR_(CONNECTION_\w+|NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|ADDRESS_\w+|TIMED_OUT|INTERNET_DISCONNECTED|EMPTY_RESPONSE|SSL_\w+|CERT_\w+|TUNNEL_CONNECTION_FAILED|PROXY_\w+)$/;

/** What a recorded failure text says when no preflight explains it. */
function unsentCause(error: string): string {
  if (error === '') {
    return (
      'the HAR has no response for it, no preflight and no error text (Firefox records none): the connection may have ' +
      'failed (server down, wrong address), the request may have been blocked before it was sent (mixed content, ' +
      "Local Network Access, CSP, an extension) or its preflight came from the browser's preflight cache; or a tool " +
      `that records no status made the HAR (an automation-made HAR); ${RUN_LIVE}`
    );
  }
  if (CONNECTION_FAILED.test(error)) {
    return (
      `the connection failed (${error}): not a CORS failure, although the console may call it one; check that the ` +
      `server is up and reachable at this address from the user's machine, then ${RUN_LIVE}`
    );
  }
  if (error === 'net::ERR_BLOCKED_BY_CLIENT') {
    return `blocked by an extension or the browser's own blocking (${error}) before it was sent: not CORS`;
  }
  if (error === 'net::ERR_ABORTED') return `cancelled by the page or a navigation (${error}): not CORS`;
  return (
    `no response (${error}) and no preflight in the HAR: the preflight may have come from the browser's preflight ` +
    'cache, or the request was blocked before it was sent (mixed content, Local Network Access, CSP, an extension); ' +
    RUN_LIVE
  );
}

/** The OPTIONS entry for the same URL nearest to entry `index` (0-based), or -1. */
function preflightOf(index: number, url: string, entries: readonly HarEntry[]): number {
  let best = -1;
  entries.forEach((entry, i) => {
    const options =
      str(entry._resourceType) === 'preflight' ||
      (str(entry.request?.method) === 'OPTIONS' && str(entry._resourceType) !== 'fetch');
    if (i === index || !options || str(entry.request?.url) !== url) return;
    if (best === -1 || Math.abs(i - index) < Math.abs(best - index)) best = i;
  });
  return best;
}

/**
 * Says why a failed request left nothing to check (its `cannotTell` is `''`), and links it to its
 * preflight when the HAR has one.
 */
export function explainBlind(
  diagnosis: HarDiagnosis,
  all: readonly HarDiagnosis[],
  entries: readonly HarEntry[],
): HarDiagnosis {
  if (diagnosis.cannotTell !== '') return diagnosis;
  const preflight = diagnosis.method === 'OPTIONS' ? -1 : preflightOf(diagnosis.entry - 1, diagnosis.url, entries);
  if (preflight !== -1) {
    const failed = all.some((d) => d.entry === preflight + 1);
    return {
      ...diagnosis,
      cannotTell: failed
        ? `not sent: its preflight (entry ${preflight + 1}) failed, see there`
        : `not sent, and its preflight (entry ${preflight + 1}) looks right: compare the method and headers it allowed`,
    };
  }
  // Chrome records a Local Network Access refusal as a plain net::ERR_FAILED; the page's and the
  // URL's address spaces tell it (the local-network-access finding).
  if (diagnosis.findings.some((f) => f.code === 'local-network-access')) {
    return {
      ...diagnosis,
      cannotTell:
        'no response and no preflight: most likely held back by Local Network Access before it was sent (see the ' +
        'warning); the server never saw it, so no server change helps',
    };
  }
  return { ...diagnosis, cannotTell: unsentCause(diagnosis.error ?? '') };
}
