// @ts-check
/**
 * Express + ws chat: one policy for HTTP (corsSafety) and for WebSocket handshakes
 * (upgradeGuard). Browsers send `Origin` on a WebSocket handshake but apply no CORS to it, so
 * without the guard any website could open a socket with your users' cookies (cross-site
 * WebSocket hijacking). Refused handshakes get a plain 403 and are logged with their reason.
 *
 *   node examples/express-ws-chat.mjs                  # PORT=3000 by default
 *   DEBUG=cors-safety:upgrade node examples/express-ws-chat.mjs   # log every handshake decision
 */
import http from 'node:http';
import express from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { corsErrorHandler, corsSafety, createCorsPolicy, notFound, upgradeGuard } from 'cors-safety';

const policy = createCorsPolicy({
  origin: ['http://localhost:5173', 'https://chat.example.com'],
  credentials: true,
});

const app = express();
app.use(corsSafety(policy));
app.get('/api/online', (_req, res) => {
  res.json({ online: wss.clients.size });
});
app.use(notFound());
app.use(corsErrorHandler(policy));

const server = http.createServer(app);

// noServer: the guard is the server's only 'upgrade' listener, so nothing can bypass it.
const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    // Broadcast to everyone connected, sender included.
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(String(data));
    }
  });
});

server.on(
  'upgrade',
  upgradeGuard(
    policy,
    (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    {
      paths: ['/chat'], // any other path: 404
      onReject: ({ reason, origin }) =>
        console.warn(`refused WebSocket from ${origin ?? '(no valid origin)'}: ${reason}`),
    },
  ),
);

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on http://127.0.0.1:${port}`);
  console.log(`chat at ws://127.0.0.1:${port}/chat`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const client of wss.clients) client.close(1001, 'server shutting down');
    wss.close();
    server.close(() => process.exit(0));
  });
}
