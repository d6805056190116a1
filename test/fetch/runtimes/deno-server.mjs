/* global Deno -- run by Deno */
// Deno: serves the application on a loopback port chosen by the system; prints {"port": n}.
import { application } from './app.mjs';

const handler = application(await import(Deno.env.get('CORS_SAFETY_FETCH_ENTRY')));
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    onListen: ({ port }) => console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, port })),
  },
  handler,
);
