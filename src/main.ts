import type { Logger } from 'pino';
import {
  type AccountService,
  type StrengthEstimator,
  ZxcvbnStrengthEstimator,
} from './accounts/index.ts';
import { AdminSessionStore } from './admin-session/index.ts';
import { createUsersAdapter } from './admin-users.ts';
import { type Alerting, createAlerting, type DeliveryTuning } from './alerts/index.ts';
import { AuditRecorder, deleteExpiredEvents } from './audit/index.ts';
import { type Config, readProxySighting, recordProxySighting } from './config/index.ts';
import { type DatabaseHandle, isDataError } from './db/index.ts';
import type { DetectionPolicy, Detector } from './detection/index.ts';
import { createBlocksAdapter } from './detection-blocks.ts';
import { createIpsAdapter } from './detection-ips.ts';
import { ServiceUnavailableError } from './errors.ts';
import { SecurityEventBus } from './events/index.ts';
import { type GeoLocator, revokeOnImpossibleTravel } from './geo/index.ts';
import { createLoginHistory, type LoginHistory, withLoginHistory } from './history/index.ts';
import { registerAdminHttp } from './http/admin-plugins.ts';
import { type App, buildApp } from './http/app.ts';
import { createAccounts, createTokens } from './wiring/accounts-tokens.ts';
import {
  databaseState,
  openDatabase,
  PendingMigrationsError,
  prepareSchema,
} from './wiring/database.ts';
import { createDetection } from './wiring/detection.ts';

export { type RunningService, startService } from './wiring/start-service.ts';
export { PendingMigrationsError, prepareSchema };

import type { DependencyState } from './http/ports.ts';
import type { BlocksPort, IpsPort, UsersPort } from './http/routes/admin-routes.ts';
import { scheduleTokenCleanup } from './jobs/token-cleanup.ts';
import {
  createSentryErrorTracker,
  type ErrorTracker,
  NO_ERROR_TRACKER,
} from './monitoring/error-tracker.ts';
import { type SentryStats, ServiceMetrics } from './monitoring/metrics/index.ts';
import { getSentryRuntime } from './monitoring/sentry-runtime.ts';
import { forwardSecurityEvents } from './monitoring/sentry-security-events.ts';
import type { AccessTokens, TokenService } from './tokens/index.ts';

/** Every long-lived service of one instance, built from config; `close` releases them all. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly bus: SecurityEventBus;
  readonly audit: AuditRecorder;
  /** Login outcomes (`login_outcomes`), batched; retention LOGIN_HISTORY_DAYS. */
  readonly loginHistory: LoginHistory;
  readonly accounts: AccountService;
  readonly tokens: TokenService<Awaited<ReturnType<AccountService['getUser']>> & object>;
  readonly accessTokens: AccessTokens;
  readonly detector: Detector;
  readonly blocks: BlocksPort;
  readonly ips: IpsPort;
  readonly users: UsersPort;
  readonly detectorStatus: () => DependencyState;
  /** The detection policy in force and where it came from (file path or "defaults"). */
  readonly detectionPolicy: () => { policy: DetectionPolicy; source: string };
  /** Dashboard sign-in sessions. */
  readonly adminSessions: AdminSessionStore;
  /** Prometheus metrics of this instance; null when `METRICS_PORT=off`. */
  readonly metrics: ServiceMetrics | null;
  /** Sentry when the process initialised it (see src/monitoring/instrument.ts), else a no-op. */
  readonly errorTracker: ErrorTracker;
  /** Alerts by e-mail and webhook; null when no channel is configured. */
  readonly alerting: Alerting | null;
  close(): Promise<void>;
}

/** Overrides for tests: a clock, an open database, detection tuning. */
export interface ServiceOverrides {
  readonly clock?: () => number;
  /** An open, migrated database to use instead of opening `config.databaseUrl`. */
  readonly database?: DatabaseHandle;
  /** Detection policy to start with instead of the policy file or defaults. */
  readonly policy?: DetectionPolicy;
  /** Redis key prefix (isolates tests sharing one Redis). */
  readonly redisKeyPrefix?: string;
  /** How often a degraded detection store probes Redis again (ms). */
  readonly redisProbeIntervalMs?: number;
  /** The error tracker's delivery counts for metrics (zeros without one). */
  readonly sentryStats?: SentryStats;
  /** Password strength estimator to share instead of loading its dictionaries again. */
  readonly strengthEstimator?: StrengthEstimator;
  /** GeoIP for account_takeover instead of the databases config names; null turns it off. */
  readonly geoLocator?: GeoLocator | null;
  /** Alert delivery timing (retries, timeouts, deadline) to use instead of the defaults. */
  readonly alertDelivery?: DeliveryTuning;
  /** How often due alert digests are looked for (ms). */
  readonly alertTickIntervalMs?: number;
}

/** Builds all services from config (migrating in development). Throws if the database fails. */
export async function createServices(
  config: Config,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const clock = overrides.clock ?? Date.now;
  const database = overrides.database ?? openDatabase(config, logger);
  if (!overrides.database) await prepareSchema(config, database);
  const sentry = getSentryRuntime();
  const errorTracker = sentry === null ? NO_ERROR_TRACKER : createSentryErrorTracker();
  const bus = new SecurityEventBus((error, event) => {
    logger.error({ err: error, eventType: event.type }, 'security event subscriber failed');
    errorTracker.captureError(error, { operation: 'security_event_subscriber', type: event.type });
  });
  const stopForwarding =
    sentry === null
      ? () => {}
      : forwardSecurityEvents({
          bus,
          minSeverity: config.sentry.minSeverity,
          counters: sentry.counters,
          clock,
        });
  // Off means off: no registry, no hook, no observers on the hot paths.
  const metrics = config.metrics === null ? null : new ServiceMetrics();
  bus.subscribe((event) => {
    logger.warn({ securityEvent: event }, `security event ${event.type}`);
  });
  const audit = new AuditRecorder({
    db: database.db,
    // Rows the table refuses are dropped (and counted) rather than holding up every later event.
    isRetryable: (error) => !isDataError(error),
    onError: (error, dropped) => {
      // A database outage is logged once by the database itself; here only what it costs.
      if (error instanceof ServiceUnavailableError) {
        logger.info('audit events buffered until the database is back');
      } else if (dropped > 0) {
        logger.error({ err: error, dropped }, 'audit events dropped');
        errorTracker.captureError(error, { operation: 'audit_write', dropped });
      } else {
        logger.error({ err: error }, 'audit write failed; retrying');
        errorTracker.captureError(error, { operation: 'audit_write', dropped });
      }
    },
    onRecovered: ({ writtenCount, droppedCount }) =>
      logger.info({ writtenCount, droppedCount }, 'buffered audit events written'),
  });
  audit.attach(bus);
  const loginHistory = createLoginHistory({
    db: database.db,
    retentionDays: config.loginHistoryDays,
    pruneIntervalMs: config.cleanupIntervalMs,
    logger,
    clock,
    onUnexpectedError: (error, operation) => errorTracker.captureError(error, { operation }),
  });
  const stopTravelRevocation = revokeOnImpossibleTravel({
    bus,
    db: database.db,
    clock,
    onRevoked: (userId, revokedTokens) =>
      logger.warn({ userId, revokedTokens }, 'impossible travel: other sessions revoked'),
    onError: (error) => logger.error({ err: error }, 'impossible travel: revoking sessions failed'),
  });
  const estimator = overrides.strengthEstimator ?? new ZxcvbnStrengthEstimator();
  const { accounts, hasher, queue } = createAccounts(
    config,
    { database, estimator, logger, metrics, errorTracker },
    clock,
  );
  const { accessTokens, refreshTokens, tokens } = await createTokens(
    config,
    database,
    { bus, accounts },
    clock,
  );
  const detection = await createDetection(config, logger, bus, database, overrides, metrics);
  if (metrics !== null) {
    metrics.attach(bus);
    metrics.watch({
      activeBlocks: () => detection.detector.countBlocks(),
      storeMode: detection.mode,
      audit,
      hashQueue: queue,
      sentry: overrides.sentryStats,
    });
  }
  const alerting = createAlerting({
    config: config.alerts,
    db: database.db,
    bus,
    redis:
      config.redisUrl === null
        ? null
        : {
            url: config.redisUrl,
            cluster: config.redisCluster,
            keyPrefix: overrides.redisKeyPrefix,
          },
    clock,
    delivery: overrides.alertDelivery,
    tickIntervalMs: overrides.alertTickIntervalMs,
    countDelivery: metrics?.countAlertDelivery,
    logger,
  });
  const stopCleanup = scheduleTokenCleanup({
    deleteExpired: (now) => refreshTokens.deleteExpired(now),
    intervalMs: config.cleanupIntervalMs,
    clock,
    onResult: (deleted) => logger.info({ deleted }, 'expired refresh tokens deleted'),
    onError: (error) => {
      if (error instanceof ServiceUnavailableError) {
        logger.info('refresh token cleanup skipped: the database is unavailable');
      } else {
        logger.error({ err: error }, 'refresh token cleanup failed');
        errorTracker.captureError(error, { operation: 'token_cleanup' });
      }
    },
  });
  // Audit retention on the same schedule, in short batches (see deleteExpiredEvents).
  const stopRetention = scheduleTokenCleanup({
    deleteExpired: (now) =>
      deleteExpiredEvents(database, { now, retentionDays: config.auditRetentionDays }),
    intervalMs: config.cleanupIntervalMs,
    clock,
    onResult: (deleted) => logger.info({ deleted }, 'expired security events deleted'),
    onError: (error) => {
      if (error instanceof ServiceUnavailableError) return;
      logger.error({ err: error }, 'audit retention failed');
      errorTracker.captureError(error, { operation: 'audit_retention' });
    },
  });
  return {
    config,
    logger,
    database,
    bus,
    audit,
    loginHistory,
    accounts,
    tokens,
    accessTokens,
    detector: detection.detector,
    blocks: createBlocksAdapter(detection.detector, bus, clock, detection.ipv6PrefixLength),
    ips: createIpsAdapter(
      detection.detector,
      database.db,
      detection.ipv6PrefixLength,
      detection.locate,
    ),
    users: createUsersAdapter({ accounts, refreshTokens, bus, clock }),
    detectorStatus: detection.status,
    detectionPolicy: detection.policy,
    adminSessions: new AdminSessionStore({
      db: database.db,
      clock,
      idleMs: config.adminSessionIdleMinutes * 60_000,
      maxAgeMs: ADMIN_SESSION_MAX_AGE_MS,
    }),
    metrics,
    errorTracker,
    alerting,
    close: async () => {
      stopCleanup();
      stopRetention();
      stopForwarding();
      stopTravelRevocation();
      // Each step runs even if an earlier one failed: the audit log must still be written.
      try {
        await detection.close();
      } finally {
        // Half the shutdown budget for alerts; the rest is dropped (and counted) so that the
        // audit log and error reports still fit in it.
        await alerting?.close(config.shutdownTimeoutMs / 2).catch((error: unknown) => {
          logger.error({ err: error }, 'alerting did not close cleanly');
        });
        try {
          await Promise.all([audit.close(), loginHistory.close()]);
        } finally {
          try {
            // A database handed in by the caller is the caller's to close.
            if (!overrides.database) await database.destroy();
          } finally {
            await hasher.close();
          }
        }
      }
    },
  };
}

/** A dashboard session ends this long after sign-in, however active (ms). */
const ADMIN_SESSION_MAX_AGE_MS = 12 * 3_600_000;

/** Builds the HTTP app over the services (does not listen). */
export function createHttpApp(services: Services, clock: () => number = Date.now): Promise<App> {
  return buildApp({
    accounts: services.accounts,
    tokens: services.tokens,
    jwks: () => services.accessTokens.getJwks(),
    // Every login that reached the password check is recorded (batched) on its way out.
    detector: withLoginHistory(
      services.detector,
      (outcome) => services.loginHistory.recorder.record(outcome),
      clock,
    ),
    clock,
    trustProxy: services.config.trustProxy,
    // Noted in the data directory so that `flux-auth doctor` (and the next start) can say so too.
    onUntrustedProxy: (peer) => recordProxySighting(services.config.dataDir, { peer, at: clock() }),
    knownUntrustedProxy:
      services.config.trustProxy === false
        ? readProxySighting(services.config.dataDir)?.peer
        : undefined,
    corsOrigins: services.config.corsOrigins,
    logger: services.logger,
    metrics: services.metrics?.http,
    errorTracker: services.errorTracker,
    extend: (app) =>
      registerAdminHttp(app, {
        db: services.database.db,
        clock,
        accounts: services.accounts,
        tokens: services.tokens,
        blocks: services.blocks,
        ips: services.ips,
        users: services.users,
        sessions: services.adminSessions,
        idleMinutes: services.config.adminSessionIdleMinutes,
        publicUrl: services.config.alerts.publicUrl,
        detectorStatus: services.detectorStatus,
        policy: services.detectionPolicy,
        alerts: {
          db: services.database.db,
          alerter: services.alerting?.alerter ?? null,
          channels: services.alerting?.channels ?? [],
          windowSeconds: services.config.alerts.windowSeconds,
        },
      }),
    readiness: async () => ({
      database: await databaseState(services.database),
      detectionStore: services.detectorStatus(),
    }),
  });
}
