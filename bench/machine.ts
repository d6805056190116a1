/**
 * Detecting other work on the machine during a run. On a 2-core box a test suite or a build in
 * another terminal steals the core the server or the load generator needs, and the figures of
 * that run mean nothing. Linux's /proc/stat gives the machine's busy time; what the server and
 * the load generator used themselves is subtracted, and the rest is "other" CPU.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc/stat counts in 1/100 s on Linux. */
const TICK_MICROS = 10_000;

/** Machine-wide busy CPU time in microseconds (user, nice, system, irq, softirq, steal), or undefined off Linux. */
export function machineBusyMicros(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * TICK_MICROS;
  } catch {
    return undefined;
  }
}

/**
 * Percent of one core used by anything other than `ownMicros` over `seconds`, from two
 * {@link machineBusyMicros} readings. Includes kernel work for our own loopback traffic that is
 * not charged to either process, so a clean run shows a small positive figure. `NaN` off Linux.
 */
export function otherCpuPercent(
  busyBefore: number | undefined,
  busyAfter: number | undefined,
  ownMicros: number,
  seconds: number,
): number {
  if (busyBefore === undefined || busyAfter === undefined || seconds <= 0) return Number.NaN;
  return Math.max(0, (busyAfter - busyBefore - ownMicros) / (seconds * 1e4));
}

/** A run is disturbed when other processes used more than this share of one core during it. */
export const DISTURBED_PERCENT = 10;
/** How often a disturbed run is repeated before it is kept (and marked), unless told otherwise. */
export const MAX_RETRIES = 3;

/** A measurement that knows how much other CPU ran beside it. */
export interface Checked {
  readonly otherCpuPercent: number;
}

/** How a measurement went: the retries it took, and whether it is still disturbed. */
export interface Attempts {
  readonly retries: number;
  readonly disturbed: boolean;
}

/** The CPU picture of one measured run, shared by the HTTP and upgrade benchmarks. */
export interface RunCpu extends Checked, Attempts {
  /** Share of one core the server and the load generator used during the run, percent. */
  readonly serverCpuPercent: number;
  readonly clientCpuPercent: number;
}

/**
 * Runs `measure` until other processes stay under {@link DISTURBED_PERCENT} of a core during it,
 * at most `maxRetries` more times, waiting for a quiet moment before each retry. The last
 * measurement is returned either way, with how many retries it took and whether it is still
 * disturbed, so the report can say so.
 */
export async function undisturbed<T extends Checked>(
  measure: () => Promise<T> | T,
  label: string,
  log: (line: string) => void,
  maxRetries: number,
): Promise<T & Attempts> {
  let retries = 0;
  for (;;) {
    const result = await measure();
    const disturbed = result.otherCpuPercent > DISTURBED_PERCENT;
    if (!disturbed || retries >= maxRetries) return { ...result, retries, disturbed };
    retries++;
    log(
      `${label}: other processes used ${Math.round(result.otherCpuPercent)}% of a core during the run; measuring again (${retries}/${maxRetries})`,
    );
    await waitForQuiet(QUIET_WAIT_MS);
  }
}

/** How long a retry waits at most for the machine to become quiet. */
const QUIET_WAIT_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until a one-second window in which the whole machine is busy for less than
 * {@link DISTURBED_PERCENT} of a core (the benchmark's own processes are idle meanwhile), or
 * until `maxMs` has passed. Off Linux it waits one second.
 */
async function waitForQuiet(maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  do {
    const before = machineBusyMicros();
    await sleep(1000);
    const after = machineBusyMicros();
    if (before === undefined || after === undefined || (after - before) / 1e4 < DISTURBED_PERCENT) return;
  } while (Date.now() < deadline);
}
