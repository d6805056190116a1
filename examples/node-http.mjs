// @ts-check
/**
 * Plain node:http, no framework: corsSafety() and corsErrorHandler() are ordinary
 * `(req, res, next)` / `(err, req, res, next)` functions, so call them yourself. corsSafety()
 * answers preflights itself (next is not called) and puts the grant on `res` before your code
 * runs; the error handler renders any error as JSON with the grant.
 *
 *   node examples/node-http.mjs                        # PORT=3000 by default
 */
import http from 'node:http';
import { corsErrorHandler, corsSafety, createCorsPolicy } from 'cors-safety';

const policy = createCorsPolicy({ origin: ['http://localhost:5173', 'https://app.example.com'] });
const cors = corsSafety(policy);
const renderError = corsErrorHandler(policy);

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function route(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/api/hello') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ hello: 'world' }));
    return;
  }
  if (url.pathname === '/api/boom') throw new Error('internal detail that must not leak');
  throw Object.assign(new Error('Not Found'), { status: 404, expose: true });
}

const server = http.createServer((req, res) => {
  /** @param {unknown} err */
  const fail = (err) =>
    renderError(err, req, res, () => {
      // Only reached when the response had already started: nothing left to do but end it.
      res.end();
    });
  cors(req, res, (err) => {
    if (err !== undefined) {
      fail(err);
      return;
    }
    try {
      route(req, res);
    } catch (routeErr) {
      fail(routeErr);
    }
  });
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
