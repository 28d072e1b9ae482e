import type { Logger } from 'pino';
import {
  AccountService,
  HashQueue,
  PasswordHasher,
  PasswordPolicy,
  type StrengthEstimator,
  UserRepository,
  ZxcvbnStrengthEstimator,
} from './accounts/index.ts';
import { AdminSessionStore } from './admin-session/index.ts';
import { createUsersAdapter } from './admin-users.ts';
import { type Alerting, createAlerting, type DeliveryTuning } from './alerts/index.ts';
import { AuditRecorder, deleteExpiredEvents } from './audit/index.ts';
import { createEmbeddedBlocks } from './blocks/index.ts';
import { type Config, readProxySighting, recordProxySighting } from './config/index.ts';
import {
  createDatabase,
  type DatabaseHandle,
  isDataError,
  listPendingMigrations,
  migrateToLatest,
} from './db/index.ts';
import {
  createDetectionStore,
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type DetectionStore,
  type Detector,
  loadPolicyFile,
  watchPolicy,
} from './detection/index.ts';
import { createBlocksAdapter } from './detection-blocks.ts';
import { ServiceUnavailableError } from './errors.ts';
import { SecurityEventBus } from './events/index.ts';
import { type GeoLocator, GeoLookup, revokeOnImpossibleTravel } from './geo/index.ts';
import { createLoginHistory, type LoginHistory, withLoginHistory } from './history/index.ts';
import { registerAdminHttp } from './http/admin-plugins.ts';
import { type App, buildApp } from './http/app.ts';
import type { DependencyState } from './http/ports.ts';
import type { BlocksPort, UsersPort } from './http/routes/admin-routes.ts';
import { scheduleTokenCleanup } from './jobs/token-cleanup.ts';
import {
  createSentryErrorTracker,
  type ErrorTracker,
  NO_ERROR_TRACKER,
} from './monitoring/error-tracker.ts';
import {
  type MetricsServer,
  type SentryStats,
  ServiceMetrics,
  type StoreMode,
  startMetricsServer,
} from './monitoring/metrics/index.ts';
import { getSentryRuntime } from './monitoring/sentry-runtime.ts';
import { forwardSecurityEvents } from './monitoring/sentry-security-events.ts';
import { type AccessTokenKey, AccessTokens, RefreshTokens, TokenService } from './tokens/index.ts';

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

// One warning when an outage is confirmed and one info line when it ends, never one per request.
// Only the driver's code and message are logged: they never hold the URL's password.
function openDatabase(config: Config, logger: Logger): DatabaseHandle {
  return createDatabase({
    url: config.databaseUrl,
    onUnavailable: (error) =>
      logger.warn(
        { reason: describeError(error) },
        'database unavailable: answering 503 SERVICE_UNAVAILABLE until it is back',
      ),
    onRecovered: ({ downMs, refusedCount }) =>
      logger.info({ downMs, refusedCount }, 'database available again'),
  });
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
/** A dashboard session ends this long after sign-in, however active (ms). */
const ADMIN_SESSION_MAX_AGE_MS = 12 * 3_600_000;

/** How often events held back by the detector's roll-up are published (ms). */
const EVENT_FLUSH_INTERVAL_MS = 1000;

/** How long startup waits for the first Redis connection before running degraded (ms). */
const REDIS_CONNECT_WAIT_MS = 2000;

interface Detection {
  readonly detector: Detector;
  /** The current policy's IPv6 grouping (a reloaded policy applies at once). */
  ipv6PrefixLength(): number;
  status(): DependencyState;
  mode(): StoreMode;
  policy(): { policy: DetectionPolicy; source: string };
  close(): Promise<void>;
}

// Builds the detector over Redis (with its memory fallback) or the in-process store (blocks
// kept in the database), with the policy file loaded and watched. Throws PolicyFileError when
// the policy file is invalid, or the database error when the blocks cannot be loaded.
async function createDetection(
  config: Config,
  logger: Logger,
  bus: SecurityEventBus,
  database: DatabaseHandle,
  overrides: ServiceOverrides,
  metrics: ServiceMetrics | null,
): Promise<Detection> {
  let policy =
    overrides.policy ??
    (config.policyFile ? await loadPolicyFile(config.policyFile) : DEFAULT_POLICY);
  const stopWatching = config.policyFile
    ? watchPolicy(
        config.policyFile,
        (next) => {
          policy = next;
          logger.info({ policyFile: config.policyFile }, 'detection policy reloaded');
        },
        (error) =>
          logger.error(`detection policy not reloaded, keeping the old one: ${error.message}`),
      )
    : () => {};
  const embedded =
    config.redisUrl === null
      ? createEmbeddedBlocks({
          db: database.db,
          clock: overrides.clock ?? Date.now,
          onError: (error) => {
            // An outage is logged once by the database itself; the sync catches up after it.
            if (error instanceof ServiceUnavailableError) return;
            logger.error({ err: error }, 'blocks: database write or poll failed');
          },
        })
      : null;
  const store: DetectionStore = embedded
    ? {
        store: embedded.store,
        status: () => 'ok',
        fleetSize: () => 1,
        ready: async () => {},
        close: async () => {},
      }
    : createDetectionStore({
        redisUrl: config.redisUrl ?? undefined,
        redisCluster: config.redisCluster,
        timeoutMs: config.redisTimeoutMs,
        keyPrefix: overrides.redisKeyPrefix,
        probeIntervalMs: overrides.redisProbeIntervalMs,
        onRedisError: (error) => logger.warn({ err: error }, 'Redis connection error'),
        onRedisLate: (message) => logger.warn(message),
        bus,
        clock: overrides.clock,
        onCallTimed: metrics?.observeStoreCall,
      });
  // Without this wait the first requests after boot would race the connection and fall back.
  await store.ready(REDIS_CONNECT_WAIT_MS).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'Redis is not reachable at startup; detection runs in-process until it is',
    );
  });
  // GeoIP for account_takeover: opened once (bundled country data, GEOIP_CITY_DB if set).
  const locate =
    overrides.geoLocator !== undefined
      ? overrides.geoLocator
      : (await GeoLookup.open({ cityDbPath: config.geoipCityDb })).locate;
  const detector = createDetector({
    store: store.store,
    policy: () => policy,
    bus,
    clock: overrides.clock,
    ...(locate === null ? {} : { locate }),
  });
  // Blocks set by the CLI or another instance on this database arrive within ~500 ms.
  const sync = embedded?.createSync((ipKey) => detector.forgetCachedBlock(ipKey)) ?? null;
  await sync?.start();
  // Repeats held back by the detector's roll-up (blocked requests…) go out once a second.
  const flushTimer = setInterval(() => detector.flushEvents(), EVENT_FLUSH_INTERVAL_MS);
  flushTimer.unref();
  const isRedis = config.redisUrl !== null;
  return {
    detector,
    ipv6PrefixLength: () => policy.ipv6PrefixLength,
    policy: () => ({
      policy,
      source: overrides.policy ? 'overridden at startup' : (config.policyFile ?? 'defaults'),
    }),
    status: (): DependencyState => {
      if (!isRedis) return { status: 'ok', detail: 'in-process store (REDIS_URL not set)' };
      const instances = store.fleetSize();
      return store.status() === 'ok'
        ? { status: 'ok', detail: 'redis', instances }
        : {
            status: 'degraded',
            detail: `redis unreachable or slow; using the in-process store with 1/${instances} of each limit`,
            instances,
          };
    },
    mode: () => (isRedis && store.status() === 'ok' ? 'redis' : 'memory'),
    close: async () => {
      stopWatching();
      await sync?.stop();
      clearInterval(flushTimer);
      detector.flushEvents({ all: true });
      await store.close();
    },
  };
}

function createAccounts(
  config: Config,
  deps: {
    database: DatabaseHandle;
    estimator: StrengthEstimator;
    logger: Logger;
    metrics: ServiceMetrics | null;
    errorTracker: ErrorTracker;
  },
  clock: () => number,
) {
  const { database, estimator, logger, metrics, errorTracker } = deps;
  const users = new UserRepository(database.db);
  const queue = new HashQueue({
    maxInFlight: config.hashMaxInFlight,
    maxQueued: config.hashMaxQueued,
    onWait: metrics?.observeHashWait,
  });
  const hasher = new PasswordHasher({ queue });
  const accounts = new AccountService({
    users,
    hasher,
    policy: new PasswordPolicy({ estimator, minScore: config.passwordMinScore }),
    clock,
    onRehashError: (error, userId) => {
      logger.error({ err: error, userId }, 'rehash failed');
      errorTracker.captureError(error, { operation: 'rehash', userId });
    },
  });
  return { accounts, hasher, queue };
}

async function createTokens(
  config: Config,
  database: DatabaseHandle,
  deps: { bus: SecurityEventBus; accounts: AccountService },
  clock: () => number,
) {
  const accessTokens = await AccessTokens.create({
    key: readSigningKey(config),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
    clock,
  });
  const refreshTokens = new RefreshTokens({
    db: database.db,
    events: deps.bus,
    ttlMs: config.refreshTokenTtlSeconds * 1000,
    clock,
  });
  const tokens = new TokenService({ accessTokens, refreshTokens, users: deps.accounts });
  return { accessTokens, refreshTokens, tokens };
}

/** Production refuses to serve on a schema that is behind the code (every login would fail). */
export class PendingMigrationsError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `${pending.length} database migration(s) pending (${pending.join(', ')}); run \`flux-auth migrate\` first.`,
    );
    this.name = 'PendingMigrationsError';
  }
}

/**
 * Development migrates by itself; production only checks, since migrating is a deploy step.
 * Throws PendingMigrationsError (after closing `database`) when production is behind.
 */
export async function prepareSchema(config: Config, database: DatabaseHandle): Promise<void> {
  if (config.env !== 'production') {
    await migrateToLatest(database.db);
    return;
  }
  const pending = await listPendingMigrations(database.db);
  if (pending.length > 0) {
    await database.destroy();
    throw new PendingMigrationsError(pending);
  }
}

function readSigningKey(config: Config): AccessTokenKey {
  if (config.signing.kind === 'hs256') return { alg: 'HS256', secret: config.signing.secret };
  return { alg: config.signing.alg, privateKeyPem: config.signing.privateKeyPem };
}

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
        detector: services.detector,
        blocks: services.blocks,
        users: services.users,
        sessions: services.adminSessions,
        idleMinutes: services.config.adminSessionIdleMinutes,
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

async function databaseState(database: DatabaseHandle): Promise<DependencyState> {
  // Known down: say so without queueing another connection attempt.
  if (!database.isAvailable()) return { status: 'down', detail: 'database unreachable' };
  try {
    await withTimeout(database.ping(), 2000);
    return { status: 'ok' };
  } catch {
    return { status: 'down', detail: 'database did not answer' };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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
