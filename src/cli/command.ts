/**
 * What the command line asks for, and the error a mistake on it becomes: shared by args.ts and
 * args-request.ts without an import cycle.
 */
import type { DiagnoseOptions } from './diagnose.js';
import type { DoctorOptions } from './doctor.js';

/** A mistake on the command line. `usage` is the help text to print with it, if any. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'doctor';
      readonly options: DoctorOptions;
      readonly json: boolean;
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'diagnose';
      readonly input: 'console' | 'har';
      /** The file to read, or `-` for standard input. */
      readonly file: string;
      readonly options: DiagnoseOptions;
      readonly json: boolean;
    }
  | { readonly kind: 'explain'; readonly origin: string; readonly config: string | undefined; readonly json: boolean }
  | { readonly kind: 'explain-observed'; readonly file: string; readonly json: boolean }
  | { readonly kind: 'nginx'; readonly config: string | undefined; readonly out: string };
