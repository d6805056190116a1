/** Collects the process warnings a test file sees (cors-safety warns through process.emitWarning). */
import { after } from 'node:test';

/**
 * Starts collecting process warnings until the test file ends; returns the live list.
 * Call it once at the top of a test file.
 */
export function collectWarnings(): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  after(() => {
    process.off('warning', onWarning);
  });
  return warnings;
}
