/**
 * `doctor --har` on HARs that the installed Chromium's own DevTools exports right now, not on
 * checked-in files: scripts/capture-devtools-har.ts opens the DevTools frontend bundled with the
 * browser on the page of scripts/har-rig.ts and runs its Network panel's export. A Chromium update
 * that changes what the exporter writes fails here before users' HAR files do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportDevtoolsHars } from '../../scripts/capture-devtools-har.js';
import { analyzeHar } from '../../src/cli/har-input.js';
import { chromiumSupport, requiredBrowserMessage } from '../helpers/browser-chromium.js';
import { scaled } from '../helpers/time.js';
import { EXPECTED, foundCodes, keyOf, NOT_SENT } from './har-expected.js';

const support = chromiumSupport('test/cli/diagnose-har-live.test.ts');
const skip = support.missing !== undefined && !support.required ? `skipped: ${support.missing}` : false;

describe("doctor --har on Chromium DevTools' own export, made now", { skip }, () => {
  it('names every failure with the live probe code (sanitized and full export, Local Network Access)', async () => {
    if (support.missing !== undefined) throw new Error(requiredBrowserMessage(support));
    const hars = await exportDevtoolsHars(support.executablePath, scaled(60_000));
    for (const [name, har] of Object.entries({ sanitized: hars.sanitized, full: hars.full })) {
      const doc = JSON.parse(har) as { log: { creator: { name: string } } };
      assert.equal(doc.log.creator.name, 'WebInspector', name);
      const result = analyzeHar(doc);
      assert.deepEqual(foundCodes(result.diagnoses), EXPECTED, name);
      for (const unsent of NOT_SENT) {
        const d = result.diagnoses.find((x) => keyOf(x) === unsent);
        assert.match(d?.cannotTell ?? '', /^not sent: its preflight \(entry \d+\) failed/, `${name}: ${unsent}`);
      }
      assert.equal(result.unsanitized.length > 0, name === 'full', name);
    }
    const blocked = analyzeHar(JSON.parse(hars.localNetwork)).diagnoses;
    assert.deepEqual(
      blocked.map((d) => `${keyOf(d)} ${d.findings.map((f) => f.code).join(',')}`),
      ['GET /lna local-network-access'],
    );
  });
});
