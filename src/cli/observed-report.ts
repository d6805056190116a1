/**
 * Output of `cors-safety explain --observed`: a configuration file to review (text) or the whole
 * proposal (JSON). Origins in the output were validated by the policy's own syntax checks.
 */
import { proposePolicy, readObservations, type ObservedProposal, type ProposedEntry } from './observed-policy.js';

/** Reads the file and proposes a policy; a file that cannot be read is a `ConfigLoadError`-like failure. */
export async function runObserved(
  file: string,
): Promise<
  | { readonly kind: 'proposal'; readonly proposal: ObservedProposal }
  | { readonly kind: 'failed'; readonly message: string }
> {
  try {
    return { kind: 'proposal', proposal: proposePolicy(await readObservations(file)) };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const why = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
    return { kind: 'failed', message: `cannot read ${JSON.stringify(file)}: ${why}` };
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function entryLines(entries: readonly ProposedEntry[]): string[] {
  return entries.map((e) => {
    const covers =
      e.kind === 'pattern' || e.origins.length > 1
        ? `, ${plural(e.origins.length, 'origin')}: ${e.origins.join(' ')}`
        : '';
    return `  ${JSON.stringify(e.entry)}, // ${e.site}: ${plural(e.requests, 'request')}${covers}`;
  });
}

/**
 * The proposal as an ES module configuration file (`cors-safety explain --config` and
 * `createCorsPolicy()` accept its default export), with counts as comments.
 *
 * @example
 * ```ts
 * io.stdout(formatObservedText(proposal));
 * ```
 */
export function formatObservedText(proposal: ObservedProposal): string {
  const o = proposal.observations;
  const lines = [
    `// Proposed by cors-safety explain --observed from ${plural(o.lines, 'event')}: ${plural(o.distinctOrigins, 'distinct origin')},`,
    `// ${plural(proposal.refused.length, 'origin')} seen only refused (left out), ${o.withoutOrigin} without a usable origin, ${o.invalid} unreadable lines.`,
  ];
  if (o.overflow > 0)
    lines.push(`// ${o.overflow} events of further origins were not kept (more than the limit of distinct origins).`);
  lines.push(
    '// Review every entry: an origin in the file is one that called you, not necessarily one you trust.',
    'const production = [',
    ...entryLines(proposal.production),
    '];',
    '// Development origins (loopback): allowed outside NODE_ENV=production only.',
    'const development = [',
    ...entryLines(proposal.development),
    '];',
    "export default { origin: process.env.NODE_ENV === 'production' ? production : [...production, ...development] };",
  );
  if (proposal.refused.length > 0) {
    lines.push('// Seen only refused:');
    for (const r of proposal.refused.slice(0, 50)) lines.push(`//   ${r.origin} (${plural(r.requests, 'request')})`);
    if (proposal.refused.length > 50) lines.push(`//   ... and ${proposal.refused.length - 50} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}

/** The whole proposal as one JSON object. */
export function formatObservedJson(proposal: ObservedProposal): string {
  return `${JSON.stringify(proposal, null, 2)}\n`;
}
