/**
 * Why an `Access-Control-Allow-Origin` value that is not the request's origin differs from it.
 * The CORS check is a byte-for-byte comparison (Fetch §4.9 step 4), so "almost the same" origins
 * fail; naming the difference is most of the fix.
 */
import { reachesOnlyThisMachine } from '../shared/loopback.js';

/** Stable sub-diagnosis codes for `allow-origin-mismatch`. */
export type MismatchDetail =
  | 'case'
  | 'trailing-slash'
  | 'path'
  | 'default-port'
  | 'scheme'
  | 'port'
  | 'localhost-alias'
  | 'null'
  | 'host'
  | 'malformed';

/** The sub-diagnosis and one sentence explaining it. */
export interface MismatchDiagnosis {
  readonly detail: MismatchDetail;
  readonly explanation: string;
}

function tryParse(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * Compares the origin the browser sent with the one the server echoed.
 *
 * @example
 * ```ts
 * diagnoseOriginMismatch('http://127.0.0.1:5173', 'http://localhost:5173').detail; // 'localhost-alias'
 * ```
 */
export function diagnoseOriginMismatch(sent: string, received: string): MismatchDiagnosis {
  const textual = textualDifference(sent, received);
  if (textual !== undefined) return textual;
  const sentUrl = sent === 'null' ? null : tryParse(sent);
  const receivedUrl = tryParse(received);
  if (receivedUrl === null || receivedUrl.origin === 'null') {
    return { detail: 'malformed', explanation: 'the value is not an origin (scheme://host[:port]).' };
  }
  if (sentUrl === null) {
    return {
      detail: 'host',
      explanation:
        'the page has an opaque origin (`null`, e.g. a sandboxed iframe or a file:// page), and the server named a real origin.',
    };
  }
  // Same origin once parsed: the server wrote it in a non-serialised form.
  if (receivedUrl.origin === sent) return serializationDifference(sent, received, receivedUrl);
  return partDifference(sent, sentUrl, receivedUrl);
}

/** Differences seen in the text alone: the literal `null`, letter case, a trailing slash. */
function textualDifference(sent: string, received: string): MismatchDiagnosis | undefined {
  if (received === 'null') {
    return { detail: 'null', explanation: 'the server answered with the literal origin `null`.' };
  }
  if (received.toLowerCase() === sent.toLowerCase()) {
    return {
      detail: 'case',
      explanation:
        'they differ only in letter case; browsers send the scheme and host in lower case and compare exactly.',
    };
  }
  if (received === `${sent}/`) {
    return {
      detail: 'trailing-slash',
      explanation: 'the server added a trailing slash; an origin never ends with `/`.',
    };
  }
  return undefined;
}

/** The received value is the sent origin once parsed: an explicit default port, or a path. */
function serializationDifference(sent: string, received: string, receivedUrl: URL): MismatchDiagnosis {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*:\d+$/i.test(received) && receivedUrl.port === '') {
    return {
      detail: 'default-port',
      explanation: `the server wrote the default port explicitly; browsers serialise the origin without it (${sent}).`,
    };
  }
  return {
    detail: 'path',
    explanation: 'the server sent a URL with a path or trailing slash; the header must hold the bare origin.',
  };
}

/** Two different origins: which part differs (scheme, a loopback alias, the port, or the host). */
function partDifference(sent: string, sentUrl: URL, receivedUrl: URL): MismatchDiagnosis {
  const sameHost = receivedUrl.hostname === sentUrl.hostname;
  const samePort = (receivedUrl.port || 'default') === (sentUrl.port || 'default');
  if (receivedUrl.protocol !== sentUrl.protocol && sameHost) {
    return {
      detail: 'scheme',
      explanation: `the scheme differs (${receivedUrl.protocol.slice(0, -1)} vs ${sentUrl.protocol.slice(0, -1)}); http and https are different origins.`,
    };
  }
  if (!sameHost && reachesOnlyThisMachine(receivedUrl.hostname) && reachesOnlyThisMachine(sentUrl.hostname)) {
    return {
      detail: 'localhost-alias',
      explanation: `\`${receivedUrl.hostname}\` and \`${sentUrl.hostname}\` reach the same machine but are different origins; the page was opened as ${sent}.`,
    };
  }
  if (sameHost && !samePort) {
    return {
      detail: 'port',
      explanation: `the port differs (${receivedUrl.port || 'default'} vs ${sentUrl.port || 'default'}); every port is a different origin.`,
    };
  }
  return {
    detail: 'host',
    explanation:
      'it is a different origin altogether: the server allows one fixed origin, or a cache served a response made for another origin.',
  };
}
