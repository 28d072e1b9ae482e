import type { Logger } from 'pino';
import {
  AccountService,
  HashQueue,
  PasswordHasher,
  PasswordPolicy,
  type StrengthEstimator,
  UserRepository,
} from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import type { DatabaseHandle } from '../db/index.ts';
import type { SecurityEventBus } from '../events/index.ts';
import type { ErrorTracker } from '../monitoring/error-tracker.ts';
import type { ServiceMetrics } from '../monitoring/metrics/index.ts';
import {
  type AccessTokenKey,
  AccessTokens,
  loadRefreshTokenSeal,
  RefreshTokens,
  TokenService,
} from '../tokens/index.ts';

/** Accounts, their hash queue and hasher, from config (part of `createServices`). */
export function createAccounts(
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

/** Access and refresh tokens from config (part of `createServices`). */
export async function createTokens(
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
    seal: await loadRefreshTokenSeal(database.db, config.refreshTokenTtlSeconds * 1000),
    ttlMs: config.refreshTokenTtlSeconds * 1000,
    clock,
  });
  const tokens = new TokenService({ accessTokens, refreshTokens, users: deps.accounts });
  return { accessTokens, refreshTokens, tokens };
}

function readSigningKey(config: Config): AccessTokenKey {
  if (config.signing.kind === 'hs256') return { alg: 'HS256', secret: config.signing.secret };
  return { alg: config.signing.alg, privateKeyPem: config.signing.privateKeyPem };
}
