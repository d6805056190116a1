/** Starting test servers on loopback, one way for every suite. */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import https from 'node:https';

/** A server started by {@link listen}. */
export interface Running {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `server` on 127.0.0.1:0. `close()` also drops open keep-alive connections. */
export async function listen(server: http.Server | https.Server): Promise<Running> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
