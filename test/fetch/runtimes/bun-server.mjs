/* global Bun -- run by Bun */
// Bun: serves the application on a loopback port chosen by the system; prints {"port": n}.
import { application } from './app.mjs';

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: application(await import(process.env.CORS_SAFETY_FETCH_ENTRY)),
});
console.log(JSON.stringify({ runtime: `bun ${Bun.version}`, port: server.port }));
