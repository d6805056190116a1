/**
 * The doctor's flags that shape the request beyond method and headers: `--resolve` to reach a
 * virtual host by address (as curl's), `--data`/`--data-file` for a body, `--cookie`. Kept apart
 * from args.ts so each part of the command line stays small.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError, type Command } from './command.js';

/** The raw values of those flags, as parseArgs returns them. */
export interface RequestFlags {
  readonly resolve?: string | undefined;
  readonly data?: string | undefined;
  readonly 'data-file'?: string | undefined;
  readonly cookie?: string | undefined;
}

/** What they add to the doctor's options. */
export interface RequestExtras {
  readonly connectAddress?: string | undefined;
  readonly body?: Uint8Array | undefined;
  readonly cookie?: string | undefined;
  readonly notes: readonly string[];
}

/** The port a URL connects to, its default included. */
function effectivePort(url: URL): string {
  if (url.port !== '') return url.port;
  return url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80';
}

/**
 * `--resolve <host>:<port>:<address>` (curl's syntax): connect to `address` for that host and port
 * while `Host` and the TLS server name stay the URL's.
 *
 * @example
 * ```ts
 * parseResolve('staging.example.com:443:10.0.0.5', new URL('https://staging.example.com/api')); // '10.0.0.5'
 * ```
 */
export function parseResolve(input: string, url: URL): string {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+):(.+)$/.exec(input);
  const example = `${url.hostname}:${effectivePort(url)}:127.0.0.1`;
  if (match === null) throw new UsageError(`--resolve "${input}" must be <host>:<port>:<address>, e.g. ${example}`);
  const [, host = '', port = '', rawAddress = ''] = match;
  if (host.toLowerCase() !== url.hostname.toLowerCase() || port !== effectivePort(url)) {
    throw new UsageError(
      `--resolve "${input}" names ${host}:${port}, but the URL connects to ${url.hostname}:${effectivePort(url)}; write ${example}`,
    );
  }
  const address = rawAddress.startsWith('[') && rawAddress.endsWith(']') ? rawAddress.slice(1, -1) : rawAddress;
  if (isIP(address) === 0) throw new UsageError(`--resolve "${input}": "${rawAddress}" is not an IP address`);
  return address;
}

function readBody(flags: RequestFlags): Uint8Array | undefined {
  if (flags.data !== undefined && flags['data-file'] !== undefined)
    throw new UsageError('use --data or --data-file, not both');
  if (flags.data !== undefined) return new TextEncoder().encode(flags.data);
  const file = flags['data-file'];
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`--data-file ${file}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}`);
  }
}

/**
 * Checks and converts the flags. A cookie implies credentials; a body on GET or HEAD is refused,
 * as `fetch()` refuses it.
 */
export function requestExtras(flags: RequestFlags, url: URL, method: string, websocket: boolean): RequestExtras {
  const notes: string[] = [];
  const connectAddress = flags.resolve === undefined ? undefined : parseResolve(flags.resolve, url);
  if (connectAddress !== undefined) notes.push(`connecting to ${connectAddress} for ${url.host}`);
  const body = readBody(flags);
  if (body !== undefined && (websocket || method === 'GET' || method === 'HEAD')) {
    throw new UsageError(
      `a ${websocket ? 'WebSocket handshake' : `${method} request`} cannot have a body (fetch() throws); add -X POST or -X PUT`,
    );
  }
  const cookie = flags.cookie;
  if (cookie !== undefined && /[\r\n\0]/.test(cookie))
    throw new UsageError('--cookie: the value contains a line break or NUL');
  if (cookie !== undefined) notes.push('the Cookie header is sent with the actual request, and never printed');
  return { connectAddress, body, cookie, notes };
}

/** The flags of `doctor --console` / `--har`. */
export interface DiagnoseFlags {
  readonly console?: string | undefined;
  readonly har?: string | undefined;
  readonly replay?: boolean | undefined;
  readonly offline?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly method?: string | undefined;
  readonly header?: readonly string[] | undefined;
}

/**
 * `doctor --console <file|->` or `doctor --har <file>`: no URL (the input names them).
 *
 * @example
 * ```ts
 * diagnoseCommand({ har: 'app.har', replay: true }, [], undefined, 10_000);
 * ```
 */
export function diagnoseCommand(
  flags: DiagnoseFlags,
  positionals: readonly string[],
  origin: string | undefined,
  timeoutMs: number,
): Command {
  if (flags.console !== undefined && flags.har !== undefined) throw new UsageError('use --console or --har, not both');
  if (positionals.length > 0)
    throw new UsageError(`--console and --har take no URL (the input names it), got "${positionals.join(' ')}"`);
  if (flags.method !== undefined || (flags.header ?? []).length > 0)
    throw new UsageError('--method and --header do not apply to --console or --har: the input says what was sent');
  const har = flags.har !== undefined;
  if (har && flags.offline === true) throw new UsageError('--har is offline unless --replay is given; drop --offline');
  if (!har && flags.replay === true)
    throw new UsageError('--replay applies to --har; --console probes unless --offline');
  const file = flags.har ?? flags.console ?? '-';
  if (har && file === '-') throw new UsageError('--har needs a file, e.g. --har app.har');
  return {
    kind: 'diagnose',
    input: har ? 'har' : 'console',
    file,
    options: { probe: har ? flags.replay === true : flags.offline !== true, origin, timeoutMs },
    json: flags.json === true,
  };
}
