/**
 * The scenario that uses this library itself. Kept apart from servers.ts so the transport
 * tests do not depend on the middleware.
 */
import http from 'node:http';
import express from 'express';
import { corsErrorHandler, corsSafety, createCorsPolicy } from '../../src/index.js';
import type { Running } from './servers.js';
import { listen, PAGE_ORIGIN } from './servers.js';

/**
 * This library, configured as the README says: corsSafety() first, authentication after it,
 * corsErrorHandler() last. The 401 from the auth middleware keeps its CORS headers.
 */
export function librarySetupServer(): Promise<Running> {
  const policy = createCorsPolicy({ origin: [PAGE_ORIGIN], credentials: true });
  const app = express();
  app.use(corsSafety(policy));
  app.use((req, _res, next) => {
    if (req.headers.authorization === 'Bearer good') next();
    else next(Object.assign(new Error('Unauthorized'), { status: 401, expose: true }));
  });
  app.all('/api/me', (_req, res) => {
    res.json({ user: 'ada' });
  });
  app.use(corsErrorHandler(policy));
  return listen(http.createServer(app));
}
