// @ts-check
/**
 * Express + socket.io: one policy for the HTTP API and for both socket.io transports.
 *
 * socket.io's engine answers /socket.io/ before Express runs, so app.use(corsSafety()) never sees
 * those requests. Two lines apply the same policy there:
 * - allowRequest: createAllowRequest(policy) checks the Origin of every new session, on the
 *   long-polling handshake and on a direct WebSocket upgrade alike (browsers apply no CORS to
 *   WebSockets; without this check any site could open a socket with your users' cookies);
 * - io.engine.use(corsSafety(policy)) puts the CORS headers on the long-polling responses, which
 *   are cross-origin XHRs that a browser blocks without them.
 *
 *   node examples/express-socketio.mjs                     # PORT=3000 by default
 *   DEBUG=cors-safety:upgrade node examples/express-socketio.mjs   # log every handshake decision
 *
 * In the page: io('http://127.0.0.1:3000', { withCredentials: true }) to send cookies.
 */
import http from 'node:http';
import express from 'express';
import { Server } from 'socket.io';
import { corsErrorHandler, corsSafety, createAllowRequest, createCorsPolicy, notFound } from 'cors-safety';

const policy = createCorsPolicy({
  origin: ['http://localhost:5173', 'https://chat.example.com'],
  credentials: true,
});

const app = express();
app.use(corsSafety(policy));
app.get('/api/online', (_req, res) => {
  res.json({ online: io.engine.clientsCount });
});
app.use(notFound());
app.use(corsErrorHandler(policy));

const server = http.createServer(app);
const io = new Server(server, {
  maxHttpBufferSize: 64 * 1024,
  allowRequest: createAllowRequest(policy, {
    onReject: ({ reason, origin }) =>
      console.warn(`refused socket.io from ${origin ?? '(no valid origin)'}: ${reason}`),
  }),
});
io.engine.use(corsSafety(policy));

io.on('connection', (socket) => {
  socket.on('chat', (text) => {
    // Broadcast to everyone connected, sender included.
    if (typeof text === 'string') io.emit('chat', text.slice(0, 1000));
  });
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
  console.log(`socket.io at http://127.0.0.1:${port}/socket.io/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  // io.close() disconnects every client and closes the HTTP server too.
  process.once(signal, () => io.close(() => process.exit(0)));
}
