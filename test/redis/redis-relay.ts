/**
 * A TCP relay to Redis that a test can cut (every connection dropped, new ones refused) and
 * restore, to cut one fleet instance off from a Redis that stays up for the others. It runs on its
 * own worker thread: relayed bytes never wait behind the test's probes on the main event loop.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { scaled } from '../helpers/time.js';

// Plain CommonJS for `eval: true`; `workerData` is the Redis port.
const RELAY = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
let cut = false;
const sockets = new Set();
const dropAll = () => { for (const socket of sockets) socket.destroy(); };
const server = net.createServer((client) => {
  if (cut) return void client.destroy();
  const upstream = net.connect(workerData, '127.0.0.1');
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  }
  client.pipe(upstream).pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', (command) => {
  if (command === 'cut') { cut = true; dropAll(); }
  if (command === 'restore') cut = false;
  if (command === 'close') { dropAll(); server.close(); parentPort.close(); return; }
  parentPort.postMessage(command);
});
`;

/** A running relay: `url` for a client, `cut()` and `restore()` resolve once applied. */
export interface RedisRelay {
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Drops every connection, closes the listener and ends the thread. */
  close(): Promise<void>;
}

/** Starts a relay to the Redis on loopback port `target`, listening on a free loopback port. */
export async function startRelay(target: number): Promise<RedisRelay> {
  const worker = new Worker(RELAY, { eval: true, workerData: target });
  const next = async (): Promise<unknown> => {
    const timer = setTimeout(() => worker.emit('error', new Error('the relay did not answer')), scaled(10_000));
    const [message] = (await once(worker, 'message')) as [unknown];
    clearTimeout(timer);
    return message;
  };
  const command = async (name: string): Promise<void> => {
    const answered = next();
    worker.postMessage(name);
    await answered;
  };
  const port = await next();
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    cut: () => command('cut'),
    restore: () => command('restore'),
    close: async () => {
      const exited = once(worker, 'exit');
      worker.postMessage('close');
      const timer = setTimeout(() => void worker.terminate(), scaled(5000));
      await exited;
      clearTimeout(timer);
    },
  };
}
