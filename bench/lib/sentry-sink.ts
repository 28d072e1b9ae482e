import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Sentry ingestion endpoint that accepts and discards envelopes, counting them. */
export async function startSentrySink(): Promise<{
  dsn: string;
  received: () => number;
  close(): Promise<void>;
}> {
  let received = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/1`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
