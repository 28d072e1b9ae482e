// Child process: one flux-auth app (full services, fresh SQLite) listening on 127.0.0.1 with
// the detector in front of the auth routes (BENCH_DETECTOR=redis|memory) or without it
// (BENCH_DETECTOR=none: buildApp with no detector, so the precheck hook is a no-op), with
// Prometheus metrics as in production when METRICS_PORT is not `off`. Adds
// `POST /bench/blocked`, a bare route that answers 429 `{error, code}` with Retry-After the way
// a blocked login does, as the floor for a blocked-IP flood. Sends `{ port, metricsPort }` over IPC once
// listening; exits cleanly on SIGTERM or when the parent disconnects.
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/index.ts';
import { IP_BLOCKED_MESSAGE } from '../../src/detection/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { ErrorBody } from '../../src/http/schemas.ts';
import { createServices } from '../../src/main.ts';
import { createLogger } from '../../src/monitoring/logger.ts';
import { startMetricsServer } from '../../src/monitoring/metrics/index.ts';

const mode = process.env.BENCH_DETECTOR ?? 'none';
if (mode !== 'none' && mode !== 'memory' && mode !== 'redis') {
  throw new Error(`BENCH_DETECTOR must be none, memory or redis, got ${mode}`);
}
const env = { ...process.env };
if (mode !== 'redis') delete env.REDIS_URL;
const loaded = loadConfig(env, {
  cwd: process.cwd(),
  loadDevSecret: () => {
    throw new Error('JWT_SECRET must be set');
  },
});
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const config = loaded.config;

// The default detection policy: the parent removes FLUX_AUTH_POLICY from the environment.
const logger = createLogger(config.logLevel);
const services = await createServices(config, logger, {
  ...(process.env.BENCH_REDIS_PREFIX ? { redisKeyPrefix: process.env.BENCH_REDIS_PREFIX } : {}),
});
const app = await buildApp({
  accounts: services.accounts,
  tokens: services.tokens,
  jwks: () => services.accessTokens.getJwks(),
  ...(mode === 'none' ? {} : { detector: services.detector }),
  trustProxy: config.trustProxy,
  logger: services.logger,
  ...(services.metrics ? { metrics: services.metrics.http } : {}),
  readiness: async () => ({
    database: { status: 'ok' },
    detectionStore: services.detectorStatus(),
  }),
  extend: async (app) => {
    app.post(
      '/bench/blocked',
      { schema: { hide: true, response: { 429: ErrorBody } } },
      async (_request, reply) =>
        reply
          .code(429)
          .header('retry-after', '1800')
          .send({ error: IP_BLOCKED_MESSAGE, code: 'IP_BLOCKED' }),
    );
  },
});
const metricsServer =
  services.metrics && config.metrics
    ? await startMetricsServer(services.metrics.registry, config.metrics)
    : null;
await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({
  port: (app.server.address() as AddressInfo).port,
  ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await metricsServer?.close();
  await services.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
