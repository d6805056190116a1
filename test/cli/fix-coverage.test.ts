/**
 * Guard for issue #22's rule "every printed fix works when followed": each finding code of
 * `cors-safety doctor` (src/cli/finding-codes.ts) names at least one test that runs the doctor
 * against a real server, reads the finding's printed fix, applies exactly that fix, and shows the
 * probe (or a real browser) then succeeding. A code with nothing to apply must be listed as
 * informational with a one-line reason. The table is typed by `FindingCode`, so a new code does
 * not compile without an entry, and this test fails when an entry points at a test that is gone.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FINDING_CODES } from '../../src/cli/finding-codes.js';
import type { FindingCode } from '../../src/cli/findings.js';
import { ROOT } from '../examples/child.js';

/** A test that follows the code's fix: its file (from the repository root) and the start of its title. */
interface FixFollowed {
  readonly file: string;
  readonly test: string;
}

/** A code whose printed text asks for no change (none today); the reason says why, in one line. */
interface Informational {
  readonly informational: string;
}

type Proof = FixFollowed | Informational;

const FIXES = 'test/cli/fixes-work.test.ts';
const REQUEST = 'test/cli/fixes-work-request.test.ts';
const SOCKETIO = 'test/cli/fixes-work-socketio.test.ts';
const BROWSER = 'test/cli/fixes-work-browser.test.ts';
const NGINX = 'test/cli/doctor-nginx.test.ts';
const DETAILS = 'test/cli/fixes-work-details.test.ts';
const TABLE = 'every printed fix, followed, makes the probe pass';

/** For each code, the tests that follow its fix. */
const PROOFS: Readonly<Record<FindingCode, readonly Proof[]>> = {
  'no-allow-origin': [
    { file: FIXES, test: TABLE },
    { file: SOCKETIO, test: 'no-allow-origin on polling: io.engine.use(corsSafety(policy))' },
    { file: NGINX, test: "case 5: nginx's own 400 (cookie too large)" },
    { file: 'test/proxy/nginx-doctor.test.ts', test: 'with the generated files the same 502 is readable' },
    { file: DETAILS, test: 'fixes that depend on who answered, followed, make the probe pass' },
  ],
  'allow-origin-duplicated': [{ file: FIXES, test: TABLE }],
  'allow-origin-list': [{ file: FIXES, test: TABLE }],
  'allow-origin-mismatch': [{ file: FIXES, test: TABLE }],
  'wildcard-with-credentials': [{ file: FIXES, test: TABLE }],
  'credentials-not-allowed': [
    { file: FIXES, test: TABLE },
    { file: SOCKETIO, test: 'credentials-not-allowed on polling' },
  ],
  'preflight-redirect': [{ file: FIXES, test: TABLE }],
  'preflight-status': [
    { file: FIXES, test: TABLE },
    { file: DETAILS, test: 'fixes that depend on who answered, followed, make the probe pass' },
  ],
  'preflight-header-invalid': [{ file: FIXES, test: TABLE }],
  'method-not-allowed': [{ file: FIXES, test: TABLE }],
  'header-not-allowed': [
    { file: FIXES, test: TABLE },
    { file: 'test/cli/doctor-truth.test.ts', test: 'case 7: --socketio -H sends extraHeaders' },
  ],
  'mixed-content': [
    { file: REQUEST, test: 'mixed-content: serving the API over https' },
    { file: BROWSER, test: 'mixed-content: the same API served over https' },
  ],
  'method-refused-by-node': [{ file: REQUEST, test: 'method-refused-by-node: sending the method the fix names' }],
  'ws-refused': [
    { file: FIXES, test: "ws-refused: adding the page origin to the WebSocket server's allowed origins" },
    { file: NGINX, test: 'ws-refused (bad-handshake): the three nginx lines the fix prints' },
  ],
  'ws-accept-invalid': [{ file: REQUEST, test: 'ws-accept-invalid: letting a WebSocket library (ws) answer' }],
  'socketio-refused': [
    { file: SOCKETIO, test: 'socketio-refused (forbidden)' },
    { file: SOCKETIO, test: 'socketio-refused (polling-disabled)' },
    { file: SOCKETIO, test: 'socketio-refused (not-socketio)' },
  ],
  'vary-origin-missing': [{ file: FIXES, test: TABLE }],
  'ws-origin-not-checked': [
    { file: FIXES, test: 'ws-origin-not-checked: checking Origin against an allow-list' },
    { file: SOCKETIO, test: 'ws-origin-not-checked on the upgrade: allowRequest: createAllowRequest(policy)' },
  ],
  'socketio-upgrade-failed': [
    { file: SOCKETIO, test: 'socketio-upgrade-failed: the three nginx lines the fix prints' },
  ],
  'socketio-no-upgrade': [{ file: SOCKETIO, test: "socketio-no-upgrade: transports: ['polling', 'websocket']" }],
  'redirect-not-followed': [
    { file: REQUEST, test: 'redirect-not-followed: running the doctor again against the printed Location' },
    { file: REQUEST, test: 'redirect-not-followed to another origin' },
  ],
  'same-origin': [
    { file: REQUEST, test: 'same-origin: passing the origin of the page that calls the URL' },
    { file: BROWSER, test: 'same-origin: the browser allows it without CORS' },
  ],
  'allow-origin-reflected': [
    { file: NGINX, test: 'case 3: nginx reflecting any Origin with credentials' },
    { file: FIXES, test: TABLE },
  ],
  'error-status-readable': [
    { file: 'test/cli/doctor-truth.test.ts', test: 'case 6: a readable 401 says the page can read it' },
  ],
  'authorization-wildcard': [{ file: FIXES, test: TABLE }],
  'local-network-access': [
    { file: BROWSER, test: 'local-network-access: allowing "Local network access" for the page' },
    { file: REQUEST, test: 'local-network-access: a page in the same address space' },
  ],
  'socketio-session-unknown': [{ file: NGINX, test: 'without sticky sessions: socketio-session-unknown (BLOCKED)' }],
  'cookies-cross-site': [
    { file: BROWSER, test: 'cookies-cross-site: opening the page at the host the fix names' },
    { file: BROWSER, test: "cookies-cross-site (sites): serving the page on the API's site" },
    { file: REQUEST, test: 'cookies-cross-site: opening the page at the host the fix names' },
  ],
};

const texts = new Map<string, string>();
function source(file: string): string {
  let text = texts.get(file);
  if (text === undefined) {
    const path = join(ROOT, file);
    assert.ok(existsSync(path), `${file} does not exist`);
    text = readFileSync(path, 'utf8');
    texts.set(file, text);
  }
  return text;
}

describe('every finding code has a test that follows its printed fix', () => {
  it('the table lists exactly the codes of finding-codes.ts', () => {
    assert.deepEqual(Object.keys(PROOFS).sort(), Object.keys(FINDING_CODES).sort());
  });

  for (const code of Object.keys(FINDING_CODES) as FindingCode[]) {
    it(code, () => {
      const proofs = PROOFS[code] as readonly Proof[] | undefined;
      assert.ok(
        proofs !== undefined && proofs.length > 0,
        `${code}: no test follows its fix; add one and list it here`,
      );
      for (const proof of proofs) {
        if ('informational' in proof) {
          assert.match(proof.informational, /^[^\n]{10,200}$/, `${code}: the reason is one line`);
          continue;
        }
        const text = source(proof.file);
        // The title is a string literal in the file, so a renamed or removed test is caught.
        assert.ok(new RegExp(`['"\`]${escape(proof.test)}`).test(text), `${proof.file} has no test "${proof.test}"`);
        assert.ok(new RegExp(`['"\`]${code}['"\`:( ]`).test(text), `${proof.file} never names ${code}`);
        assert.match(text, /'doctor'/, `${proof.file} does not run the doctor`);
        assert.match(text, /\.fix\b|fixOf\(/, `${proof.file} does not read the printed fix`);
      }
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
