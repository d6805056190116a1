/**
 * What every benchmark shares: the allow-lists, the equivalent options for `corsSafety()` and
 * the `cors` package, the request cases, and the checks that a server answers each case as
 * expected (a benchmark of a misconfigured server measures nothing).
 */
import type { CorsOptions } from 'cors';
import type { CorsSafetyOptions } from '../src/index.js';

/** One allow-list size: `exact` exact origins plus `patterns` wildcard patterns. */
export interface ListSpec {
  readonly exact: number;
  readonly patterns: number;
}

/** The sizes of issue #7: 1, 100 and 10,000 exact origins, the largest plus 1,000 patterns. */
export const FULL_LISTS: readonly ListSpec[] = [
  { exact: 1, patterns: 0 },
  { exact: 100, patterns: 0 },
  { exact: 10_000, patterns: 1_000 },
];

/** Small lists for `--quick` (a smoke test of the harness, not a measurement). */
export const QUICK_LISTS: readonly ListSpec[] = [
  { exact: 1, patterns: 0 },
  { exact: 100, patterns: 10 },
];

/** `10,000 + 1,000 patterns`, `100`, ... as shown in the tables. */
export function listLabel(spec: ListSpec): string {
  const exact = spec.exact.toLocaleString('en-US');
  return spec.patterns === 0 ? exact : `${exact} + ${spec.patterns.toLocaleString('en-US')} patterns`;
}

/** `https://app0.example.org`, `https://app1.example.org`, ... */
export function exactOrigins(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `https://app${i}.example.org`);
}

/** `https://*.t0.example.com`, ...: any subdomain of one tenant domain, https, default port. */
export function wildcardPatterns(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `https://*.t${i}.example.com`);
}

/**
 * The same patterns as RegExps for `cors`, which has no wildcard syntax: one or more whole
 * labels in front of the tenant domain, anchored, https only.
 */
export function wildcardRegExps(count: number): RegExp[] {
  return Array.from({ length: count }, (_, i) => new RegExp(`^https:\\/\\/(?:[a-z0-9-]+\\.)+t${i}\\.example\\.com$`));
}

/**
 * The allowed origin the load sends: the middle exact entry, the average position for a linear
 * scan such as `cors`'s (a `Set` lookup does not care about the position).
 */
export function allowedOrigin(spec: ListSpec): string {
  return `https://app${Math.floor(spec.exact / 2)}.example.org`;
}

/** Matches no exact origin and no pattern: every rule is consulted before the denial. */
export const DENIED_ORIGIN = 'https://evil.example.net';

/** The defaults of `corsSafety()`, written out for `cors` so both send the same lists. */
export const METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';
export const ALLOWED_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'content-language',
  'content-type',
  'x-requested-with',
];
export const MAX_AGE = 600;

/** `corsSafety()` options for a list size. `exposeReason: false` as in production (cors has no such header). */
export function corsSafetyOptions(spec: ListSpec): CorsSafetyOptions {
  return {
    origin: [...exactOrigins(spec.exact), ...wildcardPatterns(spec.patterns)],
    maxAge: MAX_AGE,
    exposeReason: false,
  };
}

/** The equivalent `cors` options: the same strings, RegExps for the patterns, the same lists. */
export function corsPackageOptions(spec: ListSpec): CorsOptions {
  return {
    origin: [...exactOrigins(spec.exact), ...wildcardRegExps(spec.patterns)],
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    maxAge: MAX_AGE,
    optionsSuccessStatus: 204,
  };
}

/** How the two configurations correspond, printed with the results. */
export const EQUIVALENCE_NOTE =
  '`cors` gets the same exact origins as an array of strings and each wildcard pattern `https://*.tN.example.com` as the RegExp ' +
  '`/^https:\\/\\/(?:[a-z0-9-]+\\.)+tN\\.example\\.com$/` (it has no wildcard syntax), plus the same methods, allowed headers and max-age. ' +
  '`corsSafety()` runs with `exposeReason: false`, as in production.';

/** The request cases of the HTTP benchmark. */
export type CaseName = 'allowed' | 'denied' | 'preflight';
export const CASES: readonly CaseName[] = ['allowed', 'denied', 'preflight'];

export const CASE_LABELS: Readonly<Record<CaseName, string>> = {
  allowed: 'allowed origin, GET',
  denied: 'denied origin, GET',
  preflight: 'preflight (OPTIONS, PUT + content-type)',
};

/** A request of one case: method and headers (names lowercase, as node:http presents them). */
export interface CaseRequest {
  readonly method: 'GET' | 'OPTIONS';
  readonly headers: Readonly<Record<string, string>>;
}

export function caseRequest(name: CaseName, spec: ListSpec): CaseRequest {
  switch (name) {
    case 'allowed':
      return { method: 'GET', headers: { origin: allowedOrigin(spec) } };
    case 'denied':
      return { method: 'GET', headers: { origin: DENIED_ORIGIN } };
    case 'preflight':
      return {
        method: 'OPTIONS',
        headers: {
          origin: allowedOrigin(spec),
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      };
  }
}

/** The HTTP server variants. */
export type HttpVariant = 'bare' | 'cors-safety' | 'cors';
export const HTTP_VARIANTS: readonly HttpVariant[] = ['bare', 'cors-safety', 'cors'];

export const VARIANT_LABELS: Readonly<Record<HttpVariant, string>> = {
  bare: 'bare node:http',
  'cors-safety': 'corsSafety()',
  cors: 'cors',
};

/** The tiny response every variant ends with. */
export const BODY = 'ok';

/** What a response looked like, enough to check it. */
export interface ResponseView {
  readonly status: number;
  /** Header names lowercase. */
  readonly headers: Readonly<Record<string, string | number | readonly string[] | undefined>>;
}

function text(value: string | number | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function listHas(value: string | number | readonly string[] | undefined, item: string): boolean {
  const all = text(value);
  return all !== undefined && all.split(',').some((part) => part.trim().toLowerCase() === item.toLowerCase());
}

/**
 * Why a response is not what `variant` must answer to `name`, or `undefined` when it is.
 * `bare` is the ceiling: no CORS work for GET, and a hand-written static 204 for OPTIONS.
 */
export function responseProblem(
  variant: HttpVariant,
  name: CaseName,
  spec: ListSpec,
  res: ResponseView,
): string | undefined {
  const acao = text(res.headers['access-control-allow-origin']);
  const origin = allowedOrigin(spec);
  if (name === 'preflight') {
    if (res.status !== 204) return `preflight answered ${res.status}, expected 204`;
    if (acao !== origin) return `preflight Access-Control-Allow-Origin is ${String(acao)}, expected ${origin}`;
    if (!listHas(res.headers['access-control-allow-methods'], 'PUT')) return 'preflight does not allow PUT';
    if (!listHas(res.headers['access-control-allow-headers'], 'content-type'))
      return 'preflight does not allow content-type';
    return undefined;
  }
  if (res.status !== 200) return `${name} GET answered ${res.status}, expected 200`;
  if (variant === 'bare') return acao === undefined ? undefined : 'bare server sent Access-Control-Allow-Origin';
  if (!listHas(res.headers.vary, 'Origin')) return `${name} GET has no Vary: Origin`;
  if (name === 'allowed' && acao !== origin)
    return `allowed GET Access-Control-Allow-Origin is ${String(acao)}, expected ${origin}`;
  if (name === 'denied' && acao !== undefined) return `denied GET was granted Access-Control-Allow-Origin: ${acao}`;
  return undefined;
}

/** Settings as recorded in a result: everything but the progress logger. */
export function withoutLog<T extends { readonly log: unknown }>(settings: T): Omit<T, 'log'> {
  const copy: Record<string, unknown> = { ...settings };
  delete copy.log;
  return copy as Omit<T, 'log'>;
}
