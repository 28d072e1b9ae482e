import { EXIT_CONFIG, EXIT_UNAVAILABLE } from '../config/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

/**
 * `flux-auth start`: validate, build, listen. SIGTERM, SIGINT or the death of the parent process
 * shut down gracefully (in-flight requests answered, audit flushed) and exit 0; a failure to
 * start prints one line and exits 78 (operator must fix) or 69 (may come back, retry).
 */
export async function runStart(): Promise<void> {
  const { config, warnings } = loadConfigOrExit();
  // Loaded after validation so a bad config is refused before the heavy imports.
  const { createLogger } = await import('../monitoring/logger.ts');
  const { createPrettyDestination, shouldPrettyPrint } = await import(
    '../monitoring/log-destination.ts'
  );
  const { PendingMigrationsError, startService } = await import('../main.ts');
  const { PolicyFileError } = await import('../detection/index.ts');
  const { explainStartupFailure } = await import('./startup-failure.ts');
  const { watchParent } = await import('./parent-watch.ts');
  const { MetricsListenError } = await import('../monitoring/metrics/index.ts');
  const destination = shouldPrettyPrint(config.env, process.stdout.isTTY === true)
    ? await createPrettyDestination()
    : undefined;
  const sentry = await import('../monitoring/sentry-runtime.ts');
  const logger = createLogger(config.logLevel, destination);
  for (const warning of warnings) logger.warn(warning);
  // Normally initialised by bin/instrument.js (`node --import`) before anything was imported;
  // this is the fallback, too late for the SDK to instrument the modules already loaded.
  const preloaded = sentry.getSentryRuntime();
  const tracking = preloaded ?? sentry.initSentry(config.sentry);
  if (tracking === null) {
    logger.info('Sentry disabled: SENTRY_DSN is not set, errors are only logged');
  } else {
    const { environment, release, tracesSampleRate, profilesSampleRate, minSeverity } =
      tracking.config;
    const rates = { tracesSampleRate, profilesSampleRate };
    const fields = { environment, release, ...rates, minSeverity, preloaded: preloaded !== null };
    logger.info(fields, 'Sentry initialized');
    if (preloaded === null) {
      logger.warn(
        'Sentry was initialised after the service was imported; start node with --import ./bin/instrument.js (as npm start and deploy/ do) so its instrumentation applies',
      );
    }
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
    if (error instanceof MetricsListenError) {
      process.stderr.write(`flux-auth: ${error.message}\n`);
      process.exit(EXIT_UNAVAILABLE);
    }
    const failure = explainStartupFailure(error, config);
    process.stderr.write(`flux-auth: ${failure.line}\n`);
    process.exit(failure.exitCode);
  }
  logger.info(
    {
      address: running.address,
      metrics: running.metricsUrl ?? 'off',
      env: config.env,
      pid: process.pid,
    },
    'flux-auth listening',
  );
  let isShuttingDown = false;
  const shutdown = (reason: string) => {
    // A terminal's Ctrl-C reaches npm and us, and npm passes it on: one shutdown, not two.
    if (isShuttingDown) return;
    isShuttingDown = true;
    stopWatchingParent();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ reason }, 'shutting down: finishing in-flight requests');
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const stopWatchingParent = watchParent(() => shutdown('parent process exited'));
}
