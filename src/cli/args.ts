/**
 * Command-line parsing with node:util `parseArgs`. Every mistake becomes a `UsageError` with a
 * message naming the fix; the caller prints it and exits with 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DoctorOptions } from './doctor.js';
import { isForbiddenRequestHeaderName } from '../shared/header-names.js';
import { isToken } from '../shared/http-tokens.js';
import { isForbiddenMethod, normalizeMethod } from '../shared/methods.js';
import { diagnoseCommand, requestExtras } from './args-request.js';
import { closestName } from '../shared/did-you-mean.js';

export { UsageError, type Command } from './command.js';
import { UsageError, type Command } from './command.js';

/** Default per-request deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export const MAIN_USAGE = `Usage: cors-safety <command> [options]

Commands:
  doctor <url>   probe a URL the way a browser would and explain any CORS failure
  explain        show what the local cors-safety policy decides for an origin, and why
  nginx          write nginx include files that answer nginx's own errors with the same policy

Run "cors-safety <command> --help" for a command's options.
Options: -h, --help   -V, --version`;

export const DOCTOR_USAGE = `Usage: cors-safety doctor <url> --origin <page origin> [options]
       cors-safety doctor --console <file|-> [--origin <page origin>] [--offline] [--json]
       cors-safety doctor --har <file> [--replay] [--json]

Sends the preflight (when a browser would) and the actual request with the page's Origin,
applies the browser's CORS checks to the real responses and explains any failure.

Options:
  --origin <origin>      origin of the page that makes the request (required), e.g. http://localhost:5173
  -X, --method <method>  request method (default GET)
  -H, --header <header>  a header the page sets: "Name: value" or just "Name"; repeatable
  --credentials          the page sends credentials (fetch credentials: 'include', XHR withCredentials)
  --ws                   probe a WebSocket handshake instead (implied by ws:// and wss:// URLs)
  --socketio             probe what socket.io-client does: the long-polling handshake, the session, then
                         the WebSocket upgrade; the URL is the server's (path /socket.io/ unless given);
                         -H gives socket.io-client's extraHeaders
  --resolve <h:p:addr>   connect to addr for host h and port p (curl's syntax), e.g. to reach a staging
                         virtual host; Host and the TLS server name stay the URL's
  -d, --data <text>      the request body (POST unless -X; text/plain unless -H Content-Type)
  --data-file <file>     the request body from a file (e.g. to reproduce a 413)
  -b, --cookie <cookie>  the Cookie header the browser sends ("a=1; b=2"); implies --credentials; never printed
  --console <file|->     diagnose console error text pasted into a file (or standard input), then probe
                         each URL and origin it names (unless --offline)
  --har <file>           diagnose every failed CORS request and refused WebSocket in a HAR export
  --replay               with --har: probe each failed request live too
  --timeout <ms>         deadline for each request (default ${DEFAULT_TIMEOUT_MS})
  --json                 print the result as one JSON object
  -h, --help             show this help

Exit codes: 0 a browser would allow it, 1 a browser would block it, 2 the probe failed or bad usage.`;

export const EXPLAIN_USAGE = `Usage: cors-safety explain --origin <origin> [--config <file>] [--json]
       cors-safety explain --observed <file> [--json]

Builds the cors-safety policy, validates it, and shows what it decides for the origin and why.
With --observed, reads decision events (one JSON object per line, as onDecision writes them) and
proposes a policy that allows the origins seen allowed (docs/production.md).

Options:
  --origin <origin>      the Origin header value to check (required without --observed)
  --observed <file>      propose a policy from recorded decision events
  -c, --config <file>    options as a .json file, or a .js/.mjs/.cjs file whose default export
                         is the options object; without it the policy reads CORS_ALLOWED_ORIGINS,
                         CORS_ALLOWED_HOSTS and CORS_CREDENTIALS from the environment
  --json                 print the result as one JSON object
  -h, --help             show this help

Exit codes: 0 allowed, 1 denied, 2 invalid configuration or bad usage.`;

export const NGINX_USAGE = `Usage: cors-safety nginx --out <dir> [--config <file>]

Builds the cors-safety policy and writes two nginx include files generated from it, so that the
errors nginx itself produces (413, 429, 500, 502, 503, 504) are readable by the origins the
policy allows, and by no other origin. Responses from the app pass through untouched.

  <dir>/cors-safety-http.conf     include inside http { }
  <dir>/cors-safety-server.conf   include inside the server { } that proxies to the app

Options:
  -o, --out <dir>        directory to write the two files into (created if missing)
  -c, --config <file>    options as a .json file, or a .js/.mjs/.cjs file whose default export
                         is the options object; without it the policy reads CORS_ALLOWED_ORIGINS,
                         CORS_ALLOWED_HOSTS and CORS_CREDENTIALS from the environment
  -h, --help             show this help

Exit codes: 0 written, 2 invalid configuration, a policy nginx cannot enforce, or bad usage.`;

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** The known word closest to a mistyped command or flag: a third of its letters may differ, at least one. */
function closestWord(word: string, known: readonly string[]): string | undefined {
  return closestName(word, known, Math.max(1, Math.floor(word.length / 3)));
}

/**
 * Says what is wrong with the flags of `command` in our words rather than parseArgs's: an
 * unknown flag with the closest known one, a value missing or given where none is taken.
 */
function flagProblem(command: string, args: readonly string[], options: FlagOptions, err: unknown): string {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const flags = Object.keys(options).map((name) => `--${name}`);
  const shorts = Object.values(options).flatMap((option) => (option.short === undefined ? [] : [`-${option.short}`]));
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (known === undefined) {
      const short = !token.rawName.startsWith('--');
      const close = closestWord(token.rawName, short ? shorts : flags);
      return close === undefined
        ? `unknown option ${token.rawName} for ${command}; its options are ${flags.join(', ')}`
        : `unknown option ${token.rawName} for ${command}; did you mean ${close}?`;
    }
    if (known.type === 'string' && token.value === undefined)
      return `${token.rawName} needs a value, e.g. ${token.rawName} ${(Object.hasOwn(FLAG_EXAMPLES, token.name) ? FLAG_EXAMPLES[token.name] : undefined) ?? '<value>'}`;
    if (known.type === 'boolean' && token.value !== undefined)
      return `${token.rawName} takes no value; write ${token.rawName} alone`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A sample value per string flag, for "needs a value" messages. */
const FLAG_EXAMPLES: Readonly<Record<string, string>> = {
  origin: 'https://app.example.com',
  method: 'PUT',
  header: '"Content-Type: application/json"',
  timeout: '5000',
  config: 'cors.config.json',
  out: '/etc/nginx/cors-safety',
};

/** Parses the flags of `command`; a mistake becomes a UsageError naming the fix. */
function parseFlags<T extends FlagOptions>(command: string, args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(flagProblem(command, args, options, err));
  }
}

function requireString(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/**
 * Parses `--origin`. A browser sends the serialised origin (lower-case scheme and host, no
 * default port, no path), so a pasted page URL is reduced to its origin and noted.
 */
export function parsePageOrigin(input: string): { origin: string; note: string | null } {
  if (input === 'null') return { origin: 'null', note: null };
  if (!input.includes('://')) {
    throw new UsageError(`--origin "${input}" has no scheme; write it like http://${input} or https://${input}`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(
      `--origin "${input}" is not an origin; write it like https://app.example.com or http://localhost:5173`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return appOrigin(input, url);
  const origin = url.origin;
  return { origin, note: origin === input ? null : `using origin ${origin} (from --origin ${input})` };
}

/** Schemes whose pages never send their own scheme as `Origin` (they send `null`, or are not pages). */
const NO_ORIGIN_SCHEMES = new Set(['file:', 'data:', 'blob:', 'about:', 'javascript:', 'ftp:', 'ws:', 'wss:']);

/**
 * An app origin (`capacitor://localhost`, `chrome-extension://<id>`): hybrid apps and extensions
 * send `scheme://host`. The URL parser keeps the host's case for such schemes; browsers send it
 * lowercase, as this does.
 */
function appOrigin(input: string, url: URL): { origin: string; note: string | null } {
  const pathless = url.pathname === '' || url.pathname === '/';
  if (NO_ORIGIN_SCHEMES.has(url.protocol) || url.host === '' || url.username !== '' || !pathless) {
    throw new UsageError(
      `--origin "${input}" must be an http or https origin, an app origin such as capacitor://localhost, or null`,
    );
  }
  const origin = `${url.protocol}//${url.host}`.toLowerCase();
  return { origin, note: origin === input ? null : `using origin ${origin} (from --origin ${input})` };
}

/** Parses one `--header` argument: `Name: value`, or `Name` alone with a placeholder value. */
export function parseHeader(input: string): [string, string] {
  const colon = input.indexOf(':');
  const name = (colon === -1 ? input : input.slice(0, colon)).trim();
  if (!isToken(name)) throw new UsageError(`--header "${input}": "${name}" is not a valid header name`);
  let value = colon === -1 ? '' : input.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new UsageError(`--header "${name}": the value contains a line break or NUL`);
  if (colon === -1) value = name.toLowerCase() === 'content-type' ? 'application/json' : 'cors-safety-probe';
  return [name, value];
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 1 || ms > 600_000) {
    throw new UsageError(`--timeout "${text}" must be a whole number of milliseconds between 1 and 600000`);
  }
  return ms;
}

/**
 * The engine.io base URL for `--socketio`: http(s) (ws(s) URLs are mapped), the query dropped,
 * and socket.io's default path when the URL has none, as `io(url)` does.
 */
function socketIoBase(input: URL): { url: URL; note: string | null } {
  const url = new URL(input.href);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.search = '';
  url.hash = '';
  if (url.pathname === '/') url.pathname = '/socket.io/';
  else if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  const note = url.pathname === '/socket.io/' ? null : `probing socket.io at the path ${url.pathname}`;
  return { url, note };
}

/** The URL argument of `doctor`: http(s) or ws(s), without user name or password. */
function parseTargetUrl(rawUrl: string): URL {
  if (!rawUrl.includes('://')) {
    throw new UsageError(`"${rawUrl}" has no scheme; write it like http://${rawUrl} or https://${rawUrl}`);
  }
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`"${rawUrl}" is not a URL; write it like https://api.example.com/path`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new UsageError(`"${rawUrl}" must be an http, https, ws or wss URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('the URL must not contain a user name or password (browsers refuse them in fetch())');
  }
  return url;
}

/** The `-H` arguments; a header only the browser may set is refused (Fetch §2.2.2). */
function authorHeaders(args: readonly string[]): [string, string][] {
  return args.map((arg) => {
    const header = parseHeader(arg);
    if (isForbiddenRequestHeaderName(header[0])) {
      throw new UsageError(
        `--header ${header[0]}: a page cannot set this header, the browser does (forbidden request-header, Fetch §2.2.2)` +
          (header[0].toLowerCase() === 'origin' ? '; use --origin' : ''),
      );
    }
    return header;
  });
}

/** `doctor --socketio`: what socket.io-client sends, with `-H` as its extraHeaders. */
function socketIoCommand(
  values: { method?: string | undefined; data?: string | undefined; 'data-file'?: string | undefined } & {
    resolve?: string | undefined;
    credentials?: boolean | undefined;
    timeout?: string | undefined;
    json?: boolean | undefined;
  },
  url: URL,
  origin: string,
  headers: [string, string][],
  notes: readonly string[],
): Command {
  if (values.method !== undefined || values.data !== undefined || values['data-file'] !== undefined)
    throw new UsageError(
      '--method and --data do not apply to --socketio: the doctor sends what socket.io-client sends ' +
        '(-H gives its extraHeaders)',
    );
  const engine = socketIoBase(url);
  const extras = requestExtras({ resolve: values.resolve }, engine.url, 'GET', false);
  return {
    kind: 'doctor',
    options: {
      url: engine.url,
      origin,
      method: 'GET',
      headers,
      credentials: values.credentials === true ? 'include' : 'same-origin',
      ws: false,
      socketio: true,
      timeoutMs: parseTimeout(values.timeout),
      connectAddress: extras.connectAddress,
    },
    json: values.json === true,
    notes: [...notes, ...(engine.note === null ? [] : [engine.note]), ...extras.notes],
  };
}

function parseDoctorFlags(args: readonly string[]) {
  return parseFlags('doctor', args, {
    origin: { type: 'string' },
    method: { type: 'string', short: 'X' },
    header: { type: 'string', short: 'H', multiple: true },
    credentials: { type: 'boolean' },
    ws: { type: 'boolean' },
    socketio: { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    resolve: { type: 'string' },
    data: { type: 'string', short: 'd' },
    'data-file': { type: 'string' },
    cookie: { type: 'string', short: 'b' },
    console: { type: 'string' },
    har: { type: 'string' },
    replay: { type: 'boolean' },
    offline: { type: 'boolean' },
  });
}

/** The flags of `doctor` as parseArgs returns them. */
type DoctorFlags = ReturnType<typeof parseDoctorFlags>['values'];

/** The one URL argument of a live `doctor`. */
function doctorUrl(positionals: readonly string[]): URL {
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'doctor needs a URL' : `doctor takes one URL, got ${positionals.length}`,
    );
  }
  return parseTargetUrl(positionals[0] ?? '');
}

/** `-X`: a token a browser may send (Fetch §2.2.1 forbidden methods refused), then normalised as fetch() does. */
function doctorMethod(rawMethod: string): string {
  if (!isToken(rawMethod)) throw new UsageError(`--method "${rawMethod}" is not a valid method`);
  if (isForbiddenMethod(rawMethod)) throw new UsageError(`--method ${rawMethod}: browsers never send this method`);
  return normalizeMethod(rawMethod);
}

/**
 * Whether the probe is socket.io-client's: `--socketio`, or an engine.io URL (the EIO query
 * parameter) given with no request flags. Refuses the flags that do not apply to a WebSocket or
 * socket.io probe.
 */
function isSocketIoProbe(values: DoctorFlags, url: URL, ws: boolean, headers: readonly [string, string][]): boolean {
  if (ws && (values.method !== undefined || headers.length > 0 || values.data !== undefined)) {
    throw new UsageError('--method and --header do not apply to --ws: a browser WebSocket cannot set them');
  }
  // An engine.io URL (the EIO query parameter) is what socket.io-client requests: probe it as such,
  // since the plain probe cannot tell the session opened and would blame the allow-list.
  const engineUrl = !ws && values.method === undefined && headers.length === 0 && url.searchParams.has('EIO');
  if (values.cookie !== undefined && (ws || values.socketio === true || engineUrl))
    throw new UsageError('--cookie does not apply to --ws or --socketio: the browser sends its own cookies there');
  const socketio = values.socketio === true || engineUrl;
  if (socketio && values.ws === true)
    throw new UsageError('use --socketio or --ws, not both: --socketio probes the upgrade too');
  return socketio;
}

/** What a live `doctor` probes: the page, its request, and the notes about what was read from the flags. */
interface DoctorRequest {
  readonly url: URL;
  readonly origin: string;
  readonly ws: boolean;
  readonly rawMethod: string;
  readonly method: string;
  readonly headers: [string, string][];
  readonly note: string | null;
}

/** `doctor <url>` for an HTTP request or a WebSocket handshake. */
function requestDoctorCommand(values: DoctorFlags, request: DoctorRequest): Command {
  const { origin, ws, rawMethod, method, headers, note } = request;
  const url =
    ws && (request.url.protocol === 'http:' || request.url.protocol === 'https:')
      ? new URL(request.url.href.replace(/^http/, 'ws'))
      : request.url;
  const bodyGiven = values.data !== undefined || values['data-file'] !== undefined;
  // As curl: a body without -X is a POST; a string body is text/plain unless the page says otherwise.
  const effectiveMethod = ws ? 'GET' : bodyGiven && values.method === undefined ? 'POST' : method;
  const extras = requestExtras(values, url, effectiveMethod, ws);
  if (bodyGiven && !headers.some(([name]) => name.toLowerCase() === 'content-type'))
    headers.push(['Content-Type', 'text/plain;charset=UTF-8']);
  const options: DoctorOptions = {
    url,
    origin,
    method: effectiveMethod,
    headers,
    credentials: values.credentials === true || values.cookie !== undefined ? 'include' : 'same-origin',
    ws,
    timeoutMs: parseTimeout(values.timeout),
    ...extras,
  };
  const notes: string[] = [...extras.notes];
  if (note !== null) notes.push(note);
  if (method !== rawMethod) notes.push(`method ${rawMethod} is sent as ${method}, as fetch() normalises it`);
  return { kind: 'doctor', options, json: values.json === true, notes };
}

function parseDoctor(args: readonly string[]): Command {
  const { values, positionals } = parseDoctorFlags(args);
  if (values.help === true) return { kind: 'help', text: DOCTOR_USAGE };
  if (values.console !== undefined || values.har !== undefined) {
    const origin = values.origin === undefined ? undefined : parsePageOrigin(values.origin).origin;
    return diagnoseCommand(values, positionals, origin, parseTimeout(values.timeout));
  }
  const url = doctorUrl(positionals);
  const { origin, note } = parsePageOrigin(requireString(values.origin, '--origin'));
  const ws = values.ws === true || url.protocol === 'ws:' || url.protocol === 'wss:';
  const rawMethod = values.method ?? 'GET';
  const method = doctorMethod(rawMethod);
  const headers = authorHeaders(values.header ?? []);
  if (isSocketIoProbe(values, url, ws, headers)) {
    return socketIoCommand(values, url, origin, headers, [
      ...(note === null ? [] : [note]),
      ...(values.socketio === true ? [] : ['the URL is an engine.io URL (EIO=...): probing it as --socketio']),
    ]);
  }
  return requestDoctorCommand(values, { url, origin, ws, rawMethod, method, headers, note });
}

function parseExplain(args: readonly string[]): Command {
  const { values, positionals } = parseFlags('explain', args, {
    origin: { type: 'string' },
    config: { type: 'string', short: 'c' },
    observed: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return { kind: 'help', text: EXPLAIN_USAGE };
  if (positionals.length > 0)
    throw new UsageError(`explain takes no positional arguments, got "${positionals.join(' ')}"`);
  if (values.observed !== undefined) {
    if (values.origin !== undefined || values.config !== undefined)
      throw new UsageError('--observed proposes a policy from events; give it without --origin and --config');
    return { kind: 'explain-observed', file: requireString(values.observed, '--observed'), json: values.json === true };
  }
  const origin = requireString(values.origin, '--origin');
  const config = values.config === undefined ? undefined : requireString(values.config, '--config');
  return { kind: 'explain', origin, config, json: values.json === true };
}

function parseNginx(args: readonly string[]): Command {
  const { values, positionals } = parseFlags('nginx', args, {
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return { kind: 'help', text: NGINX_USAGE };
  if (positionals.length > 0)
    throw new UsageError(`nginx takes no positional arguments, got "${positionals.join(' ')}"; use --out <dir>`);
  const out = requireString(values.out, '--out');
  const config = values.config === undefined ? undefined : requireString(values.config, '--config');
  return { kind: 'nginx', config, out };
}

/**
 * Parses the arguments after the program name.
 *
 * @example
 * ```ts
 * parseCli(['doctor', 'https://api.example.com/me', '--origin', 'https://app.example.com', '--credentials']);
 * ```
 */
export function parseCli(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  // No command is a usage error (exit 2), as with git or npm: a script calling us wrongly must fail.
  if (command === undefined) throw new UsageError('no command given', MAIN_USAGE);
  if (command === '-h' || command === '--help' || command === 'help') return { kind: 'help', text: MAIN_USAGE };
  if (command === '-V' || command === '--version') return { kind: 'version' };
  if (command === 'doctor') return parseDoctor(rest);
  if (command === 'explain') return parseExplain(rest);
  if (command === 'nginx') return parseNginx(rest);
  const close = closestWord(command, ['doctor', 'explain', 'nginx']);
  throw new UsageError(
    close === undefined
      ? `unknown command "${command}"; use doctor, explain or nginx`
      : `unknown command "${command}"; did you mean ${close}?`,
  );
}
