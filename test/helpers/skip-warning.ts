/** The loud banner a suite prints when a real part it needs (a browser, nginx) is missing. */

/**
 * Writes a "TESTS SKIPPED" banner to stderr: `title` names what was skipped, `lines` say why and
 * what did not run.
 */
export function warnSkipped(title: string, lines: readonly string[]): void {
  const bar = '!'.repeat(78);
  process.stderr.write(['', bar, `!!  ${title}`, ...lines.map((line) => `!!  ${line}`), bar, '', ''].join('\n'));
}
