/**
 * A small, dependency-free guard against wildcard patterns over public suffixes
 * (`https://*.com`, `https://*.co.uk`, `https://*.github.io`), where anyone can register a
 * subdomain. It is deliberately conservative rather than a copy of the Public Suffix List:
 * any single-label suffix is refused, as are the common multi-label registry and hosting
 * suffixes below. Patterns are checked once, at construction.
 */

/** Second-level labels that registries commonly sell under a country code (`co.uk`, `com.au`). */
const REGISTRY_SECOND_LEVEL = new Set([
  'ac',
  'co',
  'com',
  'edu',
  'gov',
  'govt',
  'gob',
  'gouv',
  'ltd',
  'me',
  'mil',
  'net',
  'nhs',
  'nic',
  'nom',
  'or',
  'org',
  'plc',
  'sch',
  'ne',
  'go',
  'info',
  'biz',
  'firm',
  'gen',
  'ind',
  'int',
  'web',
]);

/** Multi-label suffixes where strangers get subdomains: shared hosting and cloud platforms. */
const SHARED_HOSTING_SUFFIXES = new Set([
  'github.io',
  'gitlab.io',
  'pages.dev',
  'workers.dev',
  'vercel.app',
  'now.sh',
  'netlify.app',
  'netlify.com',
  'herokuapp.com',
  'herokudns.com',
  'azurewebsites.net',
  'azurestaticapps.net',
  'cloudapp.net',
  'trafficmanager.net',
  'blob.core.windows.net',
  'web.core.windows.net',
  'cloudfront.net',
  'amazonaws.com',
  's3.amazonaws.com',
  'elasticbeanstalk.com',
  'appspot.com',
  'web.app',
  'firebaseapp.com',
  'run.app',
  'cloudfunctions.net',
  'onrender.com',
  'fly.dev',
  'railway.app',
  'up.railway.app',
  'ngrok.io',
  'ngrok-free.app',
  'ngrok.app',
  'loca.lt',
  'trycloudflare.com',
  'glitch.me',
  'repl.co',
  'replit.dev',
  'blogspot.com',
  'wordpress.com',
  'surge.sh',
  'deno.dev',
  'supabase.co',
  'bitbucket.io',
  'codesandbox.io',
  'csb.app',
  'stackblitz.io',
  'webcontainer.io',
  'azureedge.net',
  'fastly.net',
  'global.ssl.fastly.net',
  'digitaloceanspaces.com',
  'ondigitalocean.app',
  'myshopify.com',
  'hf.space',
  'streamlit.app',
  'translate.goog',
]);

/** Names that only ever resolve to this machine; `*.localhost` is a safe development pattern. */
const LOCAL_ONLY_SUFFIXES = new Set(['localhost']);

/**
 * True when `suffix` (a canonical, lowercase host) is a public suffix, or looks like one, so
 * that `*.<suffix>` would allow sites run by strangers.
 */
export function isPublicSuffix(suffix: string): boolean {
  if (LOCAL_ONLY_SUFFIXES.has(suffix)) return false;
  const labels = suffix.split('.');
  if (labels.length === 1) return true;
  if (SHARED_HOSTING_SUFFIXES.has(suffix)) return true;
  // "<registry label>.<two-letter country code>", e.g. co.uk, com.au, ac.jp.
  if (labels.length === 2) {
    const [second, top] = labels as [string, string];
    if (top.length === 2 && REGISTRY_SECOND_LEVEL.has(second)) return true;
  }
  return false;
}
