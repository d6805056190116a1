/**
 * What the Node entry gives the policy core, which imports no Node module itself so that
 * `cors-safety/fetch` runs on Workers, Deno and Bun: `debug` for the log namespaces, the
 * `cors-safety:decision` diagnostics channel for decision events (the fetch adapter's too, once
 * this ran), and a lazy `require('tldts')` for the Public Suffix List (loaded the first time a
 * wildcard is compiled).
 */
import { createRequire } from 'node:module';
import createDebug from 'debug';
import type * as Tldts from 'tldts';
import { installDecisionChannel } from '../events/decision-channel.js';
import { installLogBackend } from '../shared/log.js';
import { installPublicSuffixLoader, installRuleTrieLoader } from '../policy/public-suffix.js';

/**
 * Installs `debug`, the decision channel and the lazy `tldts` loader; idempotent. Called at the top of every Node
 * adapter module, so whichever of them is loaded first sets the platform up.
 *
 * @example
 * ```ts
 * installNodePlatform(); // DEBUG=cors-safety:* now logs
 * ```
 */
export function installNodePlatform(): void {
  installLogBackend(createDebug);
  installDecisionChannel();
  installPublicSuffixLoader(() => createRequire(import.meta.url)('tldts') as typeof Tldts);
  installRuleTrieLoader(() => createRequire(import.meta.url)('tldts/dist/cjs/src/data/trie.js') as unknown);
}
