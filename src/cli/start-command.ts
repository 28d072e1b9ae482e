import { EXIT_CONFIG } from '../config/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

/** `flux-auth start`: validate, build, listen; SIGTERM/SIGINT shut down gracefully and exit 0. */
export async function runStart(): Promise<void> {
  const { config, warnings } = loadConfigOrExit();
  // Loaded after validation so a bad config is refused before the heavy imports.
  const { createLogger } = await import('../monitoring/logger.ts');
  const { PendingMigrationsError, startService } = await import('../main.ts');
  const { PolicyFileError } = await import('../detection/index.ts');
  const sentry = await import('../monitoring/sentry-runtime.ts');
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);
  // Normally initialised by bin/instrument.js before anything was imported; this is the fallback.
  const tracking = sentry.getSentryRuntime() ?? sentry.initSentry(config.sentry);
  if (tracking === null) {
    logger.info('Sentry disabled: SENTRY_DSN is not set, errors are only logged');
  } else {
    const { environment, release, tracesSampleRate, minSeverity } = tracking.config;
    logger.info({ environment, release, tracesSampleRate, minSeverity }, 'Sentry initialized');
  }
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
    failAndExit('could not start', error);
  }
  logger.info({ address: running.address, env: config.env }, 'flux-auth listening');
  const shutdown = (signal: string) => {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    running
      .stop()
      // Error reports go last, in what is left of the shutdown budget (a little kept for exit).
      .then(() => sentry.flushSentry(deadline - Date.now() - 100))
      .then(
        (isFlushed) => {
          if (tracking !== null) {
            logger.info({ sentry: sentry.sentryStats(), isFlushed }, 'Sentry flushed');
          }
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
