// @ts-check
/**
 * Connect: the same middleware as Express. Connect runs four-argument functions only for errors,
 * so corsErrorHandler() goes last, exactly as in Express.
 *
 *   node examples/connect.mjs                          # PORT=3000 by default
 */
import http from 'node:http';
import connect from 'connect';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound } from 'cors-safety';

const policy = createCorsPolicy({
  origin: ['http://localhost:5173', 'https://*.example.com'], // any subdomain of example.com over https
  credentials: true,
});

const app = connect();
app.use(corsSafety(policy));
app.use('/api/hello', (req, res, next) => {
  if (req.method !== 'GET') return next();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ hello: 'world' }));
});
app.use('/api/boom', () => {
  throw new Error('internal detail that must not leak');
});
app.use(notFound());
app.use(corsErrorHandler(policy));

const server = http.createServer(app);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
