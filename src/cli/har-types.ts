/**
 * The shapes `doctor --har` reads and answers with, apart from the reader (har-input.ts) so the
 * reader and the explanations of what a HAR cannot tell (har-blind.ts) share them without a cycle.
 */
import type { CredentialsMode } from './fetch-rules.js';
import type { Finding } from './findings.js';

/** One failed request of the HAR, with what the doctor makes of it. */
export interface HarDiagnosis {
  /** 1-based position in `log.entries`. */
  readonly entry: number;
  readonly method: string;
  readonly url: string;
  readonly origin: string | undefined;
  readonly status: number;
  /** Who made the response, from `Server`/`Via` (`nginx`, `cloudflare`...), when it says. */
  readonly answeredBy?: string | undefined;
  readonly findings: readonly Finding[];
  /** Why the HAR cannot say more, when it cannot. */
  readonly cannotTell?: string | undefined;
  /** The failure text the browser recorded (Chrome's `_error`, `net::ERR_FAILED`...), when it did. */
  readonly error?: string | undefined;
  /** The request headers the page set (names only), for --replay. */
  readonly requestHeaderNames: readonly string[];
  readonly credentials: CredentialsMode;
  readonly websocket: boolean;
}

/** The whole answer for a HAR file. */
export interface HarResult {
  readonly creator: string;
  readonly entries: number;
  readonly diagnoses: readonly HarDiagnosis[];
  /** Names of secret-bearing fields the file still holds (a HAR that was not sanitized). */
  readonly unsanitized: readonly string[];
}

/** The file is not a HAR log. */
export class HarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarFormatError';
  }
}

/** One `log.entries` item, as far as the doctor reads it (Chrome's and Firefox's fields). */
export interface HarEntry {
  readonly _resourceType?: unknown;
  /** Chrome: `"memory"` or `"disk"` when the response came from the browser's cache. */
  readonly _fromCache?: unknown;
  /** Chrome: a WebSocket's frames; a refused handshake is one frame of type `"error"`. */
  readonly _webSocketMessages?: unknown;
  readonly request?: { method?: unknown; url?: unknown; headers?: unknown; cookies?: unknown; postData?: unknown };
  readonly response?: {
    status?: unknown;
    statusText?: unknown;
    headers?: unknown;
    cookies?: unknown;
    _error?: unknown;
    _failureText?: unknown;
  };
}
