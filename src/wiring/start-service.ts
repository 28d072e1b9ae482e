import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { App } from '../http/app.ts';
import { createHttpApp, createServices, type ServiceOverrides, type Services } from '../main.ts';
import { type MetricsServer, startMetricsServer } from '../monitoring/metrics/index.ts';

/** A running instance: the listening app and how to stop it gracefully. */
export interface RunningService {
  readonly app: App;
  readonly services: Services;
  readonly address: string;
  /** `http://host:port` of the `/metrics` listener; null when `METRICS_PORT=off`. */
  readonly metricsUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Builds everything and listens on the configured host and port, and on the metrics port.
 * Throws `MetricsListenError` when the metrics port is taken (before the API listens).
 */
export async function startService(
  config: Config,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  const services = await createServices(config, logger, overrides);
  let metricsServer: MetricsServer | null = null;
  let app: App;
  let address: string;
  try {
    app = await createHttpApp(services, overrides.clock);
    if (services.metrics !== null && config.metrics !== null) {
      metricsServer = await startMetricsServer(services.metrics.registry, config.metrics);
    }
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await metricsServer?.close();
    await services.close();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  const stop = () => {
    // Stop accepting, let in-flight requests finish, then flush and close pools.
    stopping ??= app
      .close()
      .then(() => metricsServer?.close())
      .then(() => services.close());
    return stopping;
  };
  return { app, services, address, metricsUrl: metricsServer?.url ?? null, stop };
}
