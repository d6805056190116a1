// @ts-check
/**
 * Multi-tenant SaaS: each tenant's API is served at <tenant>.api.example.com (or
 * <tenant>.localhost locally) and only that tenant's own web origins may call it. The allow-list
 * lives in a database, so the origin is decided by an async function `(origin, req) => boolean`.
 *
 *   node examples/multi-tenant.mjs                     # PORT=3000 by default
 *   curl -i -H 'Host: acme.localhost' -H 'Origin: https://acme.example.com' http://127.0.0.1:3000/api/whoami
 */
import http from 'node:http';
import express from 'express';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound } from 'cors-safety';

/** Tenants as a database would return them. */
const TENANTS = new Map([
  ['acme', { active: true, origins: ['https://acme.example.com', 'https://portal.acme.test'] }],
  ['globex', { active: true, origins: ['https://globex.example.com'] }],
  ['initech', { active: false, origins: ['https://initech.example.com'] }], // suspended
]);

/** @param {string} slug */
async function findTenant(slug) {
  await new Promise((resolve) => setTimeout(resolve, 5)); // stands in for a query
  return TENANTS.get(slug);
}

/**
 * The tenant named by the first label of Host: acme.api.example.com or acme.localhost:3000.
 * @param {http.IncomingMessage} req
 */
function tenantSlug(req) {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  const match = /^([a-z0-9-]{1,63})\.(?:api\.example\.com|localhost)$/.exec(host);
  return match?.[1];
}

// The origin function runs for every cross-origin request, preflights included: cache lookups.
// Keyed by tenant (a bounded set), not by origin (attacker-chosen text), with a short TTL so a
// suspended tenant or a removed origin stops working within a minute.
const CACHE_TTL_MS = 60_000;
/** @type {Map<string, { tenant: { active: boolean, origins: string[] } | undefined, expires: number }>} */
const cache = new Map();

/** @param {string} slug */
async function cachedTenant(slug) {
  const hit = cache.get(slug);
  if (hit !== undefined && hit.expires > Date.now()) return hit.tenant;
  const tenant = await findTenant(slug);
  if (cache.size >= 10_000) cache.clear(); // unknown slugs are cached too; keep the map bounded
  cache.set(slug, { tenant, expires: Date.now() + CACHE_TTL_MS });
  return tenant;
}

const policy = createCorsPolicy({
  /** @type {(origin: string, req: http.IncomingMessage) => Promise<boolean>} */
  origin: async (origin, req) => {
    const slug = tenantSlug(req);
    if (slug === undefined) return false;
    const tenant = await cachedTenant(slug);
    return tenant !== undefined && tenant.active && tenant.origins.includes(origin);
  },
  credentials: true,
  // A lookup slower than this denies the origin (fail closed): the request goes on without CORS
  // headers and the reason `origin-check-timeout` is logged (DEBUG=cors-safety:*). A throw or a
  // rejection also denies. Keep it well under your clients' patience; the default is 2000 ms.
  originCheckTimeout: 500,
});

const app = express();
app.use(corsSafety(policy));
app.get('/api/whoami', (req, res) => {
  res.json({ tenant: tenantSlug(req) ?? null });
});
app.use(notFound());
app.use(corsErrorHandler(policy));

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
