import type { Logger } from 'pino';
import {
  AccountService,
  HashQueue,
  PasswordHasher,
  PasswordPolicy,
  UserRepository,
} from './accounts/index.ts';
import { AuditRecorder } from './audit/index.ts';
import type { Config } from './config/index.ts';
import {
  createDatabase,
  type DatabaseHandle,
  listPendingMigrations,
  migrateToLatest,
} from './db/index.ts';
import {
  createDetectionStore,
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type Detector,
  loadPolicyFile,
  watchPolicy,
} from './detection/index.ts';
import { createBlocksAdapter } from './detection-blocks.ts';
import { SecurityEventBus } from './events/index.ts';
import { type App, buildApp } from './http/app.ts';
import type { DependencyState } from './http/ports.ts';
import type { BlocksPort } from './http/routes/admin-routes.ts';
import { adminRoutes } from './http/routes/admin-routes.ts';
import { scheduleTokenCleanup } from './jobs/token-cleanup.ts';
import {
  createSentryErrorTracker,
  type ErrorTracker,
  NO_ERROR_TRACKER,
} from './monitoring/error-tracker.ts';
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
  readonly accounts: AccountService;
  readonly tokens: TokenService<Awaited<ReturnType<AccountService['getUser']>> & object>;
  readonly accessTokens: AccessTokens;
  readonly detector: Detector;
  readonly blocks: BlocksPort;
  readonly detectorStatus: () => DependencyState;
  /** Sentry when the process initialised it (see src/monitoring/instrument.ts), else a no-op. */
  readonly errorTracker: ErrorTracker;
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
}

/** Builds all services from config (migrating in development). Throws if the database fails. */
export async function createServices(
  config: Config,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const clock = overrides.clock ?? Date.now;
  const database = overrides.database ?? createDatabase({ url: config.databaseUrl });
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
  bus.subscribe((event) => {
    logger.warn({ securityEvent: event }, `security event ${event.type}`);
  });
  const audit = new AuditRecorder({
    db: database.db,
    onError: (error, dropped) => {
      logger.error({ err: error, dropped }, 'audit write failed');
      errorTracker.captureError(error, { operation: 'audit_write', dropped });
    },
  });
  audit.attach(bus);
  const { accounts, hasher } = createAccounts(config, database, { logger, errorTracker }, clock);
  const { accessTokens, refreshTokens, tokens } = await createTokens(
    config,
    database,
    { bus, accounts },
    clock,
  );
  const detection = await createDetection(config, logger, bus, overrides);
  const stopCleanup = scheduleTokenCleanup({
    deleteExpired: (now) => refreshTokens.deleteExpired(now),
    intervalMs: config.cleanupIntervalMs,
    clock,
    onResult: (deleted) => logger.info({ deleted }, 'expired refresh tokens deleted'),
    onError: (error) => {
      logger.error({ err: error }, 'refresh token cleanup failed');
      errorTracker.captureError(error, { operation: 'token_cleanup' });
    },
  });
  return {
    config,
    logger,
    database,
    bus,
    audit,
    accounts,
    tokens,
    accessTokens,
    detector: detection.detector,
    blocks: createBlocksAdapter(detection.detector, bus, clock),
    detectorStatus: detection.status,
    errorTracker,
    close: async () => {
      stopCleanup();
      stopForwarding();
      // Each step runs even if an earlier one failed: the audit log must still be written.
      try {
        await detection.close();
      } finally {
        try {
          await audit.close();
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

/** How long startup waits for the first Redis connection before running degraded (ms). */
const REDIS_CONNECT_WAIT_MS = 2000;

interface Detection {
  readonly detector: Detector;
  status(): DependencyState;
  close(): Promise<void>;
}

// Builds the detector over Redis (with its memory fallback) or the in-process store, with the
// policy file loaded and watched. Throws PolicyFileError when the policy file is invalid.
async function createDetection(
  config: Config,
  logger: Logger,
  bus: SecurityEventBus,
  overrides: ServiceOverrides,
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
  const store = createDetectionStore({
    redisUrl: config.redisUrl ?? undefined,
    redisCluster: config.redisCluster,
    timeoutMs: config.redisTimeoutMs,
    keyPrefix: overrides.redisKeyPrefix,
    probeIntervalMs: overrides.redisProbeIntervalMs,
    onRedisError: (error) => logger.warn({ err: error }, 'Redis connection error'),
    bus,
    clock: overrides.clock,
  });
  // Without this wait the first requests after boot would race the connection and fall back.
  await store.ready(REDIS_CONNECT_WAIT_MS).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'Redis is not reachable at startup; detection runs in-process until it is',
    );
  });
  const detector = createDetector({
    store: store.store,
    policy: () => policy,
    bus,
    clock: overrides.clock,
  });
  const isRedis = config.redisUrl !== null;
  return {
    detector,
    status: (): DependencyState => {
      if (!isRedis) return { status: 'ok', detail: 'in-process store (REDIS_URL not set)' };
      return store.status() === 'ok'
        ? { status: 'ok', detail: 'redis' }
        : { status: 'degraded', detail: 'redis unreachable or slow; using the in-process store' };
    },
    close: async () => {
      stopWatching();
      await store.close();
    },
  };
}

function createAccounts(
  config: Config,
  database: DatabaseHandle,
  deps: { logger: Logger; errorTracker: ErrorTracker },
  clock: () => number,
) {
  const users = new UserRepository(database.db);
  const queue = new HashQueue({
    maxInFlight: config.hashMaxInFlight,
    maxQueued: config.hashMaxQueued,
  });
  const hasher = new PasswordHasher({ queue });
  const accounts = new AccountService({
    users,
    hasher,
    policy: new PasswordPolicy(),
    clock,
    onRehashError: (error, userId) => {
      deps.logger.error({ err: error, userId }, 'rehash failed');
      deps.errorTracker.captureError(error, { operation: 'rehash', userId });
    },
  });
  return { accounts, hasher };
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

// Development migrates by itself; production only checks, since migrating is a deploy step.
async function prepareSchema(config: Config, database: DatabaseHandle): Promise<void> {
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
    detector: services.detector,
    clock,
    trustProxy: services.config.trustProxy,
    logger: services.logger,
    errorTracker: services.errorTracker,
    extend: async (app) => {
      await app.register(adminRoutes, {
        prefix: '/api/admin',
        db: services.database.db,
        tokens: services.tokens,
        accounts: services.accounts,
        blocks: services.blocks,
      });
    },
    readiness: async () => ({
      database: await databaseState(services.database),
      detectionStore: services.detectorStatus(),
    }),
  });
}

async function databaseState(database: DatabaseHandle): Promise<DependencyState> {
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
  stop(): Promise<void>;
}

/** Builds everything and listens on the configured host and port. */
export async function startService(
  config: Config,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  const services = await createServices(config, logger, overrides);
  const app = await createHttpApp(services, overrides.clock);
  const address = await app.listen({ host: config.host, port: config.port });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    // Stop accepting, let in-flight requests finish, then flush and close pools.
    stopping ??= app.close().then(() => services.close());
    return stopping;
  };
  return { app, services, address, stop };
}
