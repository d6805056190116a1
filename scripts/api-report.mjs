#!/usr/bin/env node
// The public surface on purpose: an API Extractor report (etc/*.api.md) for every entry in
// package.json "exports" that has types, made from the built declarations (run `npm run build`
// first). `node scripts/api-report.mjs` checks that each report is up to date and fails when the
// surface changed without its report (npm test runs it); `--update` rewrites the reports
// (npm run api:update) so the change is a reviewed diff. A new subpath export gets its report
// from the same loop: etc/cors-safety.api.md for ".", etc/cors-safety-<subpath>.api.md otherwise.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = fileURLToPath(new URL('..', import.meta.url));
const update = process.argv.includes('--update');
const packageJsonPath = join(root, 'package.json');
const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8'));

/** Each typed entry of the exports map: its report name and its ES module declaration file. */
function typedEntries(exportsMap, name) {
  const entries = [];
  for (const [subpath, target] of Object.entries(exportsMap)) {
    const types = typeof target === 'object' && target !== null ? (target.import?.types ?? target.types) : undefined;
    if (typeof types !== 'string') continue;
    const suffix = subpath === '.' ? '' : `-${subpath.replace(/^\.\//, '').replace(/[^A-Za-z0-9]+/g, '-')}`;
    entries.push({ subpath, report: `${name}${suffix}`, declarations: join(root, types) });
  }
  return entries;
}

function configFor(entry) {
  return {
    projectFolder: root,
    mainEntryPointFilePath: entry.declarations,
    bundledPackages: [],
    newlineKind: 'lf',
    compiler: {
      // Only the declarations are analysed; these settings are the ones a consumer compiles with.
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          skipLibCheck: true,
        },
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.report,
      reportFolder: join(root, 'etc'),
      reportTempFolder: join(root, 'node_modules', '.cache', 'api-extractor'),
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: 'warning' } },
      extractorMessageReporting: {
        default: { logLevel: 'warning' },
        // Members are documented where their interface is; TSDoc on every export is the house rule.
        'ae-undocumented': { logLevel: 'none' },
        // The package has no alpha/beta tiers: every export is public.
        'ae-missing-release-tag': { logLevel: 'none' },
        // A type reachable from an export but not exported itself shows in the report for review.
        'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
        // Declarations shared by several entries link to exports of the main one (`{@link corsSafety}`
        // in a type that cors-safety/fetch re-exports): unresolvable from a subpath, and not a surface change.
        'ae-unresolved-link': { logLevel: 'none' },
      },
      tsdocMessageReporting: { default: { logLevel: 'none' } },
    },
  };
}

let failed = false;
for (const entry of typedEntries(pkg.exports ?? {}, pkg.name)) {
  if (!existsSync(entry.declarations)) {
    console.error(`api-report: ${entry.declarations} is missing; run npm run build first`);
    failed = true;
    continue;
  }
  const config = ExtractorConfig.prepare({
    configObject: configFor(entry),
    configObjectFullPath: join(root, 'scripts', 'api-report.json'),
    packageJsonFullPath: packageJsonPath,
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  const reportPath = join('etc', `${entry.report}.api.md`);
  if (!result.succeeded) {
    failed = true;
    if (result.apiReportChanged)
      console.error(
        `api-report: the public surface of "${entry.subpath}" changed and ${reportPath} is not up to date.\n` +
          'Review the change, then run `npm run api:update` and commit the report with it.',
      );
    else console.error(`api-report: API Extractor failed for "${entry.subpath}" (see above)`);
  } else if (update && result.apiReportChanged) console.log(`api-report: ${reportPath} updated`);
  else console.log(`api-report: ${reportPath} is up to date`);
}
process.exit(failed ? 1 : 0);
