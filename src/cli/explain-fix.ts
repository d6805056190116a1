/**
 * What `cors-safety explain` tells the user to change when an origin is denied: the one edit to
 * the configuration that would allow it, or, when nothing can, why not. Each fix is data as well
 * as text, so tests can apply it and check that the origin is then allowed.
 */
import type { CorsPolicy, OriginVerdict } from '../index.js';

/** The change that would allow a denied origin, or why none can. */
export type ExplainFix =
  /** Add the origin to the `origin` option of the config file (making it a list if needed). */
  | { readonly kind: 'add-origin'; readonly origin: string; readonly text: string }
  /** Set an environment variable (no config file in use). */
  | { readonly kind: 'set-env'; readonly name: string; readonly value: string; readonly text: string }
  /** Set one option of the config file. */
  | { readonly kind: 'set-option'; readonly option: string; readonly value: unknown; readonly text: string }
  /** The origin function decides: only changing it can help. */
  | { readonly kind: 'change-function'; readonly text: string }
  /** No configuration can allow it. */
  | { readonly kind: 'impossible'; readonly text: string };

/** Where the policy's options came from. */
export interface FixContext {
  readonly policy: CorsPolicy;
  /** The config file given with --config, if any. */
  readonly configFile: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What a browser on the page would send instead of a pasted URL or a mistyped origin, if it differs. */
function browserForm(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin !== 'null' && origin !== value ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** Adds `origin` to the origins listed in the config file or the environment. */
function addOrigin(origin: string, context: FixContext): ExplainFix {
  const { policy, configFile, env } = context;
  const current = (env.CORS_ALLOWED_ORIGINS ?? '').trim();
  // A config file without origin or allowedHosts takes its origins from the environment: an origin
  // written into the file would replace every origin of the variable, production's included.
  if (policy.source === 'environment' && current !== '') {
    const value = `${current},${origin}`;
    const why =
      configFile === undefined
        ? ''
        : ` (${configFile} sets no origin, so the origins come from that variable; an origin in the file would replace them all)`;
    return {
      kind: 'set-env',
      name: 'CORS_ALLOWED_ORIGINS',
      value,
      text: `add "${origin}" to CORS_ALLOWED_ORIGINS${why}`,
    };
  }
  if (configFile !== undefined)
    return { kind: 'add-origin', origin, text: `add "${origin}" to origin in ${configFile}` };
  const replaces =
    policy.source === 'development-default' ? ' (it replaces the development default of loopback origins)' : '';
  return {
    kind: 'set-env',
    name: 'CORS_ALLOWED_ORIGINS',
    value: origin,
    text: `set CORS_ALLOWED_ORIGINS="${origin}"${replaces}, or pass --config with origin: ["${origin}"]`,
  };
}

/**
 * The fix for a denied verdict; `undefined` for an allowed one.
 *
 * @example
 * ```ts
 * fixFor('https://app.example.com', verdict, { policy, configFile: 'cors.json', env: process.env });
 * // { kind: 'add-origin', origin: 'https://app.example.com', text: 'add "https://app.example.com" to origin in cors.json' }
 * ```
 */
export function fixFor(origin: string, verdict: OriginVerdict, context: FixContext): ExplainFix | undefined {
  if (verdict.allowed) return undefined;
  const { policy, configFile } = context;
  switch (verdict.reason) {
    case 'origin-not-allowed':
      return policy.hasOriginFunction
        ? { kind: 'change-function', text: `the origin function answered false: make it return true for "${origin}"` }
        : addOrigin(origin, context);
    case 'cors-disabled':
      if (configFile !== undefined)
        return {
          kind: 'set-option',
          option: 'origin',
          value: [origin],
          text: `cross-origin access is off (origin: false); set origin: ["${origin}"] in ${configFile}`,
        };
      return addOrigin(origin, context);
    case 'origin-null':
      if (policy.credentials)
        return {
          kind: 'impossible',
          text: 'the opaque origin "null" cannot be allowed with credentials: every sandboxed iframe and file: page shares it',
        };
      if (configFile === undefined)
        return {
          kind: 'impossible',
          text: 'no environment variable allows "null"; pass --config with allowNullOrigin: true (every sandboxed iframe and file: page sends "null")',
        };
      return {
        kind: 'set-option',
        option: 'allowNullOrigin',
        value: true,
        text: `set allowNullOrigin: true in ${configFile} (every sandboxed iframe and file: page sends "null")`,
      };
    case 'origin-malformed': {
      const form = browserForm(origin);
      return {
        kind: 'impossible',
        text:
          `no browser sends this value: it is not a serialized origin` +
          (form === undefined ? '' : `; a page at that address sends "${form}": explain that origin instead`),
      };
    }
    case 'origin-check-failed':
    case 'origin-check-timeout':
      return {
        kind: 'change-function',
        text: 'the origin function failed to answer; make it return true or false within originCheckTimeout',
      };
    case 'origin-missing':
      return { kind: 'impossible', text: 'without an Origin header there is no origin to allow' };
    case 'origin-multiple':
      return { kind: 'impossible', text: 'a browser sends one origin; a list means two Origin headers' };
    case 'origin-too-long':
      return { kind: 'impossible', text: 'no real origin is this long' };
  }
}
