import { escapeControlCharacters } from '../shared/escape.js';

/**
 * One problem found while validating options.
 *
 * `path` names the option (`origin[2]`, `allowedHosts[0]`, `methods`), `code` is a stable
 * machine-readable code, and `message` says what is wrong and how to fix it.
 *
 * @example
 * ```ts
 * const issue: CorsConfigIssue = { path: 'origin[0]', code: 'origin-path', message: '"https://a.com/x" has a path; write "https://a.com"' };
 * ```
 */
export interface CorsConfigIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Thrown at construction when options are invalid. It lists every problem at once, so a
 * configuration can be fixed in one pass instead of one error per restart.
 *
 * @example
 * ```ts
 * try {
 *   createCorsPolicy({ origin: 'https://app.example.com/' + 'path' });
 * } catch (err) {
 *   if (err instanceof CorsConfigError) for (const i of err.issues) console.error(i.path, i.message);
 * }
 * ```
 */
export class CorsConfigError extends Error {
  /** Every problem found, in option order. Never empty. */
  readonly issues: readonly CorsConfigIssue[];

  /**
   * @param issues - the problems; their text is escaped here (control and bidi characters become
   *   `\uXXXX`), whoever built them, so configuration text cannot forge terminal or log output.
   */
  constructor(issues: readonly CorsConfigIssue[]) {
    const escaped = issues.map((issue) =>
      Object.freeze({
        path: escapeControlCharacters(issue.path),
        code: escapeControlCharacters(issue.code),
        message: escapeControlCharacters(issue.message),
      }),
    );
    const lines = escaped.map((issue) => `  - ${issue.path}: ${issue.message} [${issue.code}]`);
    super(
      `cors-safety: invalid configuration (${escaped.length} problem${escaped.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.name = 'CorsConfigError';
    this.issues = Object.freeze(escaped);
  }
}

/** Collects configuration issues while options are validated, then throws them all at once. */
export class IssueCollector {
  readonly #issues: CorsConfigIssue[] = [];
  #renames: Readonly<Record<string, string>> | undefined;

  /** Records one issue; configuration text in `path` and `message` is escaped for terminals and logs. */
  add(path: string, code: string, message: string): void {
    const shown = this.#renamed(path);
    this.#issues.push({ path: escapeControlCharacters(shown), code, message: escapeControlCharacters(message) });
  }

  /**
   * From now on, reports an option's issues under another name (`maxAge` -> `CORS_MAX_AGE`, and
   * `maxAge[1]` -> `CORS_MAX_AGE[1]`): the name the user wrote the value under.
   */
  renamePaths(renames: Readonly<Record<string, string>>): void {
    this.#renames = renames;
  }

  #renamed(path: string): string {
    if (this.#renames === undefined) return path;
    const bracket = path.indexOf('[');
    const key = bracket < 0 ? path : path.slice(0, bracket);
    const name = Object.hasOwn(this.#renames, key) ? this.#renames[key] : undefined;
    return name === undefined ? path : name + path.slice(key.length);
  }

  get count(): number {
    return this.#issues.length;
  }

  throwIfAny(): void {
    if (this.#issues.length > 0) throw new CorsConfigError(this.#issues);
  }
}
