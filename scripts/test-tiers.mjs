// Test tiers, decided by path so a new test file falls into one without being listed:
// - package: consumers of the packed tarball and the bench smoke (minutes: npm pack, installs, load);
// - unit: pure policy and parsing tests, no server, no child process (seconds);
// - integration: everything else (real sockets, frameworks, nginx, browsers, the CLI as a process).
// A path is a folder (ending in "/") or one file; the first tier with a matching path wins, and a
// file no tier names is an integration test. test/scripts/test-tiers.test.ts checks that every test
// file lands in exactly one tier and that no path here is stale.

/** @type {Readonly<Record<'package' | 'unit', readonly string[]>>} */
export const TIER_PATHS = {
  package: ['test/package/', 'test/bench/'],
  unit: [
    'test/policy/',
    'test/scripts/',
    'test/cli/args.test.ts',
    'test/cli/cors-check.test.ts',
    'test/cli/fetch-rules.test.ts',
    'test/cli/fix-coverage.test.ts',
    'test/docs/codes-documented.test.ts',
    'test/proxy/nginx-config.test.ts',
    'test/websocket/upgrade-request.test.ts',
  ],
};

export const TIERS = ['unit', 'integration', 'package'];

function matches(file, path) {
  const normal = file.split('\\').join('/');
  return path.endsWith('/') ? normal.startsWith(path) : normal === path;
}

/** The tier of a test file given relative to the repository root (forward or back slashes). */
export function tierOf(file) {
  for (const tier of ['package', 'unit']) {
    if (TIER_PATHS[tier].some((path) => matches(file, path))) return tier;
  }
  return 'integration';
}

/** The paths in TIER_PATHS that match none of `files` (a moved or deleted test left behind). */
export function stalePaths(files) {
  return Object.values(TIER_PATHS)
    .flat()
    .filter((path) => !files.some((file) => matches(file, path)));
}
