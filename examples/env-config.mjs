// @ts-check
/**
 * Configuration from the environment: with no origin options, the policy reads
 *   CORS_ALLOWED_ORIGINS   comma-separated origins or patterns (https://*.example.com)
 *   CORS_ALLOWED_HOSTS     comma-separated hosts, as Django's ALLOWED_HOSTS (.example.com)
 *   CORS_CREDENTIALS       true | false
 * and one variable per other option (CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE, ...,
 * see docs/options.md). With neither origins nor hosts set, loopback origins (any port) are allowed,
 * with credentials, outside NODE_ENV=production, and nothing cross-origin in production. Invalid
 * values fail at startup with every problem listed.
 *
 *   CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:5173 CORS_CREDENTIALS=true \
 *     node examples/env-config.mjs
 */
import http from 'node:http';
import express from 'express';
import { corsErrorHandler, corsSafety, notFound } from 'cors-safety';

const cors = corsSafety(); // no options: read from the environment
const { policy } = cors;
console.log(
  `CORS policy from ${policy.source}: ${policy.rules.join(', ') || '(no cross-origin access)'}; credentials ${policy.credentials}`,
);

const app = express();
app.use(cors);
app.get('/api/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
app.use(notFound());
app.use(corsErrorHandler(policy)); // the same policy object: one reading of the environment

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
