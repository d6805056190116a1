// @ts-check
/**
 * Express with cors-safety: corsSafety() first, corsErrorHandler() last. Every response to an
 * allowed origin carries the CORS grant, errors included (401, 400 from the body parser, 404,
 * 500), so the page's JavaScript reads the real status instead of "Failed to fetch"; a 5xx body
 * never contains the error's message.
 *
 *   node examples/express-error-handler.mjs            # PORT=3000 by default
 *   curl -i -H 'Origin: http://localhost:5173' http://127.0.0.1:3000/api/boom
 */
import http from 'node:http';
import express from 'express';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound } from 'cors-safety';

// One policy, shared by the middleware and the error handler.
const policy = createCorsPolicy({
  origin: ['http://localhost:5173', 'https://app.example.com'],
  credentials: true,
});

const app = express();
app.use(corsSafety(policy)); // first: before body parsers, auth and rate limiting
app.use(express.json({ limit: '100kb' })); // its 400 (malformed) and 413 (too large) stay readable

app.get('/api/me', (req, res) => {
  if (req.headers.authorization !== 'Bearer demo-token') {
    res.status(401).json({ error: { status: 401, message: 'sign in first' } });
    return;
  }
  res.json({ user: 'ada' });
});

app.post('/api/items', (req, res) => {
  res.status(201).json({ created: req.body });
});

app.get('/api/boom', () => {
  // The message stays in the server log; the client gets "Internal Server Error".
  throw new Error('connection to postgres://admin:hunter2@db failed');
});

app.use(notFound()); // unmatched routes -> {"error":{"status":404,"message":"Not Found"}}
// Last. `log` receives every error it renders, stack included, for your logger (default: the
// `cors-safety:error` debug namespace).
app.use(
  corsErrorHandler(policy, {
    log: ({ error, status, method, path }) => {
      if (status >= 500) console.error(`${status} ${method} ${path}:`, error);
    },
  }),
);

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
