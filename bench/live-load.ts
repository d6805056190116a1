/**
 * The load generator of the live-policy benchmark, in its own process so that its work does not
 * run on the event loop being measured: keep-alive GETs with an allowed Origin from `connections`
 * concurrent clients until the parent sends "stop" (or disconnects), then reports how many
 * requests completed and how many did not get a 200.
 *
 *   node --import tsx bench/live-load.ts <url> <origin> <connections>
 */
import http from 'node:http';

const [url = '', origin = '', connectionsText = '8'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsText) });
let running = true;
let completed = 0;
let failed = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { origin } }, (res) => {
      if (res.statusCode !== 200 || res.headers['access-control-allow-origin'] !== origin) failed++;
      res.resume();
      res.on('end', () => {
        completed++;
        resolve();
      });
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
  });
}

async function client(): Promise<void> {
  while (running) await once();
}

const clients = Array.from({ length: Number(connectionsText) }, client);
const stop = (): void => {
  running = false;
  void Promise.all(clients).then(() => {
    agent.destroy();
    process.send?.({ completed, failed });
    process.disconnect?.();
  });
};
process.on('message', stop);
process.on('disconnect', () => {
  running = false;
});
process.send?.({ ready: true });
