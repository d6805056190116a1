/**
 * The shapes of origin syntax shared by the origin parsers (origin-entry.ts over origin-syntax.ts for web origins,
 * app-origin.ts for app origins): schemes, ports and a parsed configuration entry. Types only.
 */

/** The web schemes, whose origins patterns and allowedHosts can match. App schemes: see app-origin.ts. */
export type OriginScheme = 'http' | 'https';

/** Port part of a configuration entry: one port, or `*` for any port. */
export type PortChoice = number | '*';

/** A configuration origin entry after canonicalisation. */
export type ConfigOrigin =
  | {
      readonly kind: 'exact';
      readonly origin: string;
      readonly scheme: OriginScheme;
      readonly host: string;
      readonly port: number;
    }
  | { readonly kind: 'host'; readonly scheme: OriginScheme; readonly host: string; readonly port: PortChoice }
  | { readonly kind: 'subdomains'; readonly scheme: OriginScheme; readonly suffix: string; readonly port: PortChoice }
  /** An app origin (`capacitor://localhost`, `chrome-extension://<id>`): matched exactly, see app-origin.ts. */
  | { readonly kind: 'app'; readonly origin: string; readonly scheme: string };

/** Why a configuration entry was refused, with the fix in `message`. */
export interface ConfigSyntaxProblem {
  readonly code: string;
  readonly message: string;
}

/** Result of parsing one configuration entry. */
export type ConfigParse<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: ConfigSyntaxProblem };
