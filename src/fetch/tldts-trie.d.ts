/**
 * tldts ships its rule trie without declarations; the public-suffix check reads it as data and
 * checks its shape (src/policy/public-suffix.ts).
 */
declare module 'tldts/dist/cjs/src/data/trie.js' {
  const data: Record<string, unknown>;
  export = data;
}
