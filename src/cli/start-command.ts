import { EXIT_CONFIG, EXIT_UNAVAILABLE } from '../config/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

/** `flux-auth start`: validate, build, listen; SIGTERM/SIGINT shut down gracefully and exit 0. */
export async function runStart(): Promise<void> {
  const { config, warnings } = loadConfigOrExit();
  // Loaded after validation so a bad config is refused before the heavy imports.
  const { createLogger } = await import('../monitoring/logger.ts');
  const { PendingMigrationsError, startService } = await import('../main.ts');
  const { PolicyFileError } = await import('../detection/index.ts');
  const { MetricsListenError } = await import('../monitoring/metrics/index.ts');
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);
  let running: Awaited<ReturnType<typeof startService>>;
  try {
    running = await startService(config, logger);
  } catch (error) {
    if (error instanceof PolicyFileError) {
      for (const problem of error.problems) {
        process.stderr.write(`flux-auth: configuration error: FLUX_AUTH_POLICY: ${problem}\n`);
      }
      process.exit(EXIT_CONFIG);
    }
    if (error instanceof PendingMigrationsError) failAndExit('database', error, EXIT_CONFIG);
    if (error instanceof MetricsListenError) {
      process.stderr.write(`flux-auth: ${error.message}\n`);
      process.exit(EXIT_UNAVAILABLE);
    }
    failAndExit('could not start', error);
  }
  logger.info(
    { address: running.address, metrics: running.metricsUrl ?? 'off', env: config.env },
    'flux-auth listening',
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    running.stop().then(
      () => {
        logger.info('shutdown complete');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => failAndExit('shutdown failed', error),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
