import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsListenConfig } from '../../config/index.ts';

/** The `/metrics` listener; `close` stops it. */
export interface MetricsServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The metrics listener could not start (port in use, address not available); names the variable. */
export class MetricsListenError extends Error {
  /** The variable to change: `METRICS_PORT` or `METRICS_HOST`. */
  readonly variable: 'METRICS_PORT' | 'METRICS_HOST';

  constructor(listen: MetricsListenConfig, code: string | undefined, options?: ErrorOptions) {
    const where = `${listen.host}:${listen.port}`;
    const port =
      listen.instance > 0
        ? `${listen.port} (METRICS_PORT ${listen.basePort} + NODE_APP_INSTANCE ${listen.instance})`
        : String(listen.port);
    const isHost = code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const variable = isHost ? 'METRICS_HOST' : 'METRICS_PORT';
    let reason: string;
    if (code === 'EADDRINUSE') {
      reason = `port ${port} on ${listen.host} is already in use; set METRICS_PORT to a free port, or METRICS_PORT=off.`;
    } else if (code === 'EACCES') {
      reason = `no permission to listen on port ${port}; use a port above 1023.`;
    } else if (isHost) {
      reason = `${listen.host} is not an address of this machine; set METRICS_HOST (default 127.0.0.1).`;
    } else {
      reason = `cannot listen on ${where} (${code ?? 'unknown error'}).`;
    }
    super(`${variable}: ${reason}`, options);
    this.name = 'MetricsListenError';
    this.variable = variable;
  }
}

/**
 * Serves `GET /metrics` (Prometheus text format) from `registry` on its own listener, apart
 * from the API so it is never public by accident. Rejects with `MetricsListenError`.
 */
export async function startMetricsServer(
  registry: Registry,
  listen: MetricsListenConfig,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('Not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new MetricsListenError(listen, error.code, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
