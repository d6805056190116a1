/**
 * One request and its response as the CLI's checks see them: what the page asked for and what came
 * back on the wire. Shared by cors-check.ts and the modules it calls, without an import cycle.
 */
import type { CredentialsMode } from './fetch-rules.js';
import type { RawHeaders } from './headers.js';

/** What a response looked like on the wire. */
export interface ResponseSnapshot {
  readonly status: number;
  readonly statusText: string;
  /** Every header line, duplicates kept, in wire order. */
  readonly headers: RawHeaders;
  /** The start of the body (UTF-8), only when the request asked for it with `readBody`. */
  readonly body?: string | undefined;
}

/** The request a response is checked against. */
export interface CorsRequestContext {
  /** The serialised origin the page has (what the browser sends in `Origin`). */
  readonly origin: string;
  readonly credentials: CredentialsMode;
  /** The normalised method of the actual request. */
  readonly method: string;
  /** Headers the page script sets on the actual request. */
  readonly headers: RawHeaders;
}
