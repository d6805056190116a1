/**
 * The CLI without the process: parses arguments, runs a command, writes output through `io`
 * and returns the exit code. Never throws; never prints a stack trace.
 */
import { readFileSync } from 'node:fs';
import type { Command } from './args.js';
import { parseCli, UsageError } from './args.js';
import { runDoctor } from './doctor.js';
import type { Transport } from './probe.js';
import { nodeTransport } from './probe.js';
import { escapeControlCharacters } from '../index.js';
import { formatDoctorJson, formatDoctorText, formatExplainJson, formatExplainText } from './report.js';

/** Exit codes: a browser would allow it / would block it / the probe or the usage failed. */
export const EXIT = Object.freeze({ allowed: 0, blocked: 1, failed: 2 });

/** Where output goes. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

function version(): string {
  // src/cli/run.ts and dist/cli/run.js are both two levels below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

async function execute(command: Command, io: Io, transport: Transport): Promise<number> {
  switch (command.kind) {
    case 'help':
      io.stdout(`${command.text}\n`);
      return 0;
    case 'version':
      io.stdout(`${version()}\n`);
      return 0;
    case 'doctor': {
      const result = command.options.socketio
        ? await (await import('./socketio-probe.js')).runSocketIoDoctor(command.options, transport)
        : await runDoctor(command.options, transport);
      io.stdout(command.json ? formatDoctorJson(result, command.notes) : formatDoctorText(result, command.notes));
      if (result.verdict === 'probe-failed') {
        io.stderr(`cors-safety: ${result.error?.message ?? 'the probe failed'}\n`);
        return EXIT.failed;
      }
      return result.verdict === 'allowed' ? EXIT.allowed : EXIT.blocked;
    }
    case 'explain': {
      // Loaded on demand: doctor does not need the library itself.
      const { runExplain } = await import('./explain.js');
      const result = await runExplain(command.origin, command.config);
      io.stdout(command.json ? formatExplainJson(result) : formatExplainText(result));
      if (result.kind === 'config-error') return EXIT.failed;
      return result.allowed ? EXIT.allowed : EXIT.blocked;
    }
    case 'explain-observed': {
      const { runObserved, formatObservedJson, formatObservedText } = await import('./observed-report.js');
      const result = await runObserved(command.file);
      if (result.kind === 'failed') {
        io.stderr(`cors-safety: ${result.message}\n`);
        return EXIT.failed;
      }
      io.stdout(command.json ? formatObservedJson(result.proposal) : formatObservedText(result.proposal));
      return 0;
    }
    case 'nginx': {
      const { runNginx, formatNginxResult } = await import('./nginx.js');
      const result = await runNginx(command.config, command.out);
      const text = formatNginxResult(result);
      if (result.kind === 'written') {
        io.stdout(text);
        return 0;
      }
      io.stderr(text);
      return EXIT.failed;
    }
  }
}

/** Every byte the CLI prints goes through the core's escaping: servers and config files control much of it. */
function escapedIo(io: Io): Io {
  return {
    stdout: (text) => io.stdout(escapeControlCharacters(text, true)),
    stderr: (text) => io.stderr(escapeControlCharacters(text, true)),
  };
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await run(['doctor', url, '--origin', origin, '--json'], { stdout: (s) => out.push(s), stderr: () => {} });
 * ```
 */
export async function run(argv: readonly string[], rawIo: Io, transport: Transport = nodeTransport): Promise<number> {
  const io = escapedIo(rawIo);
  try {
    return await execute(parseCli(argv), io, transport);
  } catch (err) {
    if (err instanceof UsageError) {
      const help = err.usage === undefined ? 'Run "cors-safety --help" for usage.' : `\n${err.usage}`;
      io.stderr(`cors-safety: ${err.message}\n${help}\n`);
      return EXIT.failed;
    }
    if (err instanceof Error && err.name === 'ConfigLoadError') {
      io.stderr(`cors-safety: ${err.message}\n`);
      return EXIT.failed;
    }
    // A bug: say so in one line rather than dumping a stack trace on the user.
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    io.stderr(`cors-safety: internal error: ${message}\nPlease report it with the command you ran.\n`);
    return EXIT.failed;
  }
}
