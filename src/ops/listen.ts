/** Starting and stopping the small HTTP servers `migrate` runs (routing documents, consumer reports). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** `http://host:port`, with the port the system picked when 0 was asked. */
  url: string;
  /** Stops accepting and drops open connections. */
  close(): Promise<void>;
}

/** Listens on host:port; rejects with the server's error (e.g. EADDRINUSE) instead of emitting it. */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
