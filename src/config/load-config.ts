import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readAlertConfig } from '../alerts/alert-config.ts';
import {
  type Config,
  LOG_LEVELS,
  type LogLevel,
  type MetricsListenConfig,
  type TrustProxy,
} from './config.ts';
import { readGeoipCityDb } from './geoip-config.ts';
import { parseTrustProxy } from './parse-trust-proxy.ts';
import { readReputationLists } from './reputation-lists.ts';
import { readSentryConfig } from './sentry-config.ts';
import { readSigningKeyFile } from './signing-key-file.ts';

/** Environment as a plain map; only `config/` obtains it from `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The outcome of reading the environment: a config, or one plain line per problem. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Minimum length of an HS256 signing secret, in characters. */
export const MIN_SECRET_LENGTH = 32;

/** Options beyond the environment: where a generated development secret comes from. */
export interface LoadConfigOptions {
  readonly cwd: string;
  /** Returns the persisted development secret, creating it on first use. */
  readonly loadDevSecret: (dataDir: string) => string;
}

/** Reads and validates every setting; never throws for bad input, it reports it. */
export function loadConfig(env: Env, options: LoadConfigOptions): ConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const read = createReaders(env, problems);
  const nodeEnv = readNodeEnv(env, problems);
  const isProduction = nodeEnv === 'production';
  const dataDir = resolve(options.cwd, read.string('DATA_DIR') ?? './data');
  const databaseUrl = readDatabaseUrl(env, dataDir, isProduction, problems);
  const redisCluster = read.boolean('REDIS_CLUSTER', false);
  const redisUrl = readRedisUrl(env, redisCluster, problems);
  const trustProxy = readTrustProxy(env, problems);
  const logLevel = read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info') as LogLevel;
  const partial = {
    env: nodeEnv,
    host: read.string('HOST') ?? '127.0.0.1',
    port: read.integer('PORT', 3001, 0, 65535),
    logLevel,
    dataDir,
    databaseUrl,
    redisUrl,
    redisCluster,
    redisTimeoutMs: read.integer('REDIS_TIMEOUT_MS', 50, 1, 60_000),
    jwtIssuer: read.string('JWT_ISSUER') ?? 'flux-auth',
    jwtAudience: read.string('JWT_AUDIENCE') ?? 'flux-auth',
    accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
    refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL_SECONDS', 2_592_000, 60, 31_536_000),
    trustProxy,
    corsOrigins: readCorsOrigins(env, problems),
    policyFile: readPath(env, 'FLUX_AUTH_POLICY', options.cwd),
    reputationLists: readReputationLists(env, options.cwd, problems),
    // One more than the CPUs keeps a hash queued in the pool so no core idles between hashes.
    hashMaxInFlight: read.integer('HASH_MAX_IN_FLIGHT', availableParallelism() + 1, 1, 256),
    hashMaxQueued: read.integer('HASH_MAX_QUEUED', 512, 0, 100_000),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    cleanupIntervalMs: read.integer('TOKEN_CLEANUP_INTERVAL_MS', 3_600_000, 1000, 604_800_000),
    auditRetentionDays: read.integer('AUDIT_RETENTION_DAYS', 90, 1, 36_500),
    metrics: readMetrics(env, read, problems),
    passwordMinScore: read.integer('PASSWORD_MIN_SCORE', 3, 0, 4) as Config['passwordMinScore'],
    geoipCityDb: readGeoipCityDb(readPath(env, 'GEOIP_CITY_DB', options.cwd), problems),
    loginHistoryDays: read.integer('LOGIN_HISTORY_DAYS', 30, 1, 3650),
    adminSessionIdleMinutes: read.integer('ADMIN_SESSION_IDLE_MINUTES', 30, 1, 1440),
  };
  const sentry = readSentryConfig(env);
  if (!sentry.ok) problems.push(...sentry.problems);
  const alerts = readAlertConfig(env);
  if (!alerts.ok) problems.push(...alerts.problems);
  const signing = readSigning(env, { isProduction, dataDir, options, problems, warnings });
  if (problems.length > 0 || signing === null || !sentry.ok || !alerts.ok) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: Object.freeze({ ...partial, signing, sentry: sentry.sentry, alerts: alerts.alerts }),
    warnings,
  };
}

function readNodeEnv(env: Env, problems: string[]): Config['env'] {
  const value = env.NODE_ENV ?? 'development';
  if (value === 'development' || value === 'production' || value === 'test') return value;
  problems.push(`NODE_ENV: "${value}" is not one of development, production, test.`);
  return 'development';
}

function readDatabaseUrl(
  env: Env,
  dataDir: string,
  isProduction: boolean,
  problems: string[],
): string {
  const value = env.DATABASE_URL?.trim();
  if (!value) {
    if (isProduction) {
      problems.push(
        'DATABASE_URL: not set; production needs a database, e.g. DATABASE_URL=postgres://user:pass@host:5432/flux_auth.',
      );
    }
    return `sqlite:${join(dataDir, 'flux-auth.db')}`;
  }
  if (/^sqlite:/.test(value)) return value;
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
      return value;
    } catch {
      problems.push('DATABASE_URL: not a valid URL; expected postgres://user:pass@host:5432/db.');
      return value;
    }
  }
  problems.push(
    'DATABASE_URL: unsupported scheme; use postgres://user:pass@host:5432/db or sqlite:./data/flux-auth.db.',
  );
  return value;
}

// One URL; with REDIS_CLUSTER=true a comma-separated list of seed nodes (the first gives the
// scheme and credentials to seeds written as host:port).
function readRedisUrl(env: Env, isCluster: boolean, problems: string[]): string | null {
  const value = env.REDIS_URL?.trim();
  if (!value) return null;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length > 1 && !isCluster) {
    problems.push(
      'REDIS_URL: a comma-separated list of nodes needs REDIS_CLUSTER=true; give one redis:// URL otherwise.',
    );
    return null;
  }
  const bad = parts.filter((part, i) => !isRedisSeed(part, i === 0));
  if (bad.length === 0) return value;
  problems.push(
    isCluster
      ? 'REDIS_URL: not a valid list of Redis Cluster nodes, e.g. REDIS_URL=redis://10.0.0.1:6379,10.0.0.2:6379 (first with redis:// or rediss://).'
      : 'REDIS_URL: not a valid redis:// or rediss:// URL, e.g. REDIS_URL=redis://127.0.0.1:6379.',
  );
  return null;
}

function isRedisSeed(part: string, isFirst: boolean): boolean {
  const hasScheme = part.includes('://');
  if (!hasScheme && isFirst) return false;
  try {
    const url = new URL(hasScheme ? part : `redis://${part}`);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readTrustProxy(env: Env, problems: string[]): TrustProxy {
  const parsed = parseTrustProxy(env.TRUST_PROXY);
  if (parsed.ok) return parsed.value;
  problems.push(`TRUST_PROXY: ${parsed.problem}`);
  return false;
}

/** Default `/metrics` port (the OpenTelemetry Prometheus exporter's). */
const DEFAULT_METRICS_PORT = 9464;

function readMetrics(env: Env, read: Readers, problems: string[]): MetricsListenConfig | null {
  if (env.METRICS_PORT?.trim().toLowerCase() === 'off') return null;
  const raw = env.METRICS_PORT?.trim();
  if (raw !== undefined && raw !== '' && !/^\d+$/.test(raw)) {
    problems.push(`METRICS_PORT: "${raw}" is not a port (0–65535) or off.`);
    return null;
  }
  const basePort = read.integer('METRICS_PORT', DEFAULT_METRICS_PORT, 0, 65535);
  // PM2 numbers the instances of one app 0, 1, 2…: each listens on its own port.
  const instance = read.integer('NODE_APP_INSTANCE', 0, 0, 65535);
  const port = basePort === 0 ? 0 : basePort + instance;
  if (port > 65535) {
    problems.push(
      `METRICS_PORT: ${basePort} + NODE_APP_INSTANCE ${instance} is past 65535; choose a lower METRICS_PORT.`,
    );
  }
  return { host: read.string('METRICS_HOST') ?? '127.0.0.1', port, basePort, instance };
}

function readCorsOrigins(env: Env, problems: string[]): readonly string[] {
  const entries = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = toOrigin(entry);
    if (origin === null) {
      problems.push(
        `CORS_ORIGINS: "${entry}" is not an origin; list scheme, host and port only, e.g. CORS_ORIGINS=https://app.example.com,http://localhost:5173.`,
      );
    } else {
      origins.push(origin);
    }
  }
  return Object.freeze(origins);
}

// An origin is scheme://host[:port] with nothing after it; "*" is refused on purpose.
function toOrigin(entry: string): string | null {
  try {
    const url = new URL(entry);
    const isBare = url.pathname === '/' && !url.search && !url.hash && !url.username;
    if ((url.protocol === 'http:' || url.protocol === 'https:') && isBare && !entry.endsWith('/')) {
      return url.origin;
    }
  } catch {
    // reported by the caller
  }
  return null;
}

function readPath(env: Env, name: string, cwd: string): string | null {
  const value = env[name]?.trim();
  if (!value) return null;
  return isAbsolute(value) ? value : resolve(cwd, value);
}

interface SigningContext {
  readonly isProduction: boolean;
  readonly dataDir: string;
  readonly options: LoadConfigOptions;
  readonly problems: string[];
  readonly warnings: string[];
}

function readSigning(env: Env, ctx: SigningContext): Config['signing'] | null {
  const keyFile = env.JWT_PRIVATE_KEY_FILE?.trim();
  if (keyFile) {
    const key = readSigningKeyFile(resolve(ctx.options.cwd, keyFile));
    if (key.ok) return key.signing;
    ctx.problems.push(`JWT_PRIVATE_KEY_FILE: ${key.problem}`);
    return null;
  }
  const secret = env.JWT_SECRET;
  if (secret !== undefined && secret !== '') {
    if ([...secret].length >= MIN_SECRET_LENGTH) return { kind: 'hs256', secret, generated: false };
    ctx.problems.push(
      `JWT_SECRET: is ${[...secret].length} characters; it must be at least ${MIN_SECRET_LENGTH}. Generate one with: openssl rand -base64 48`,
    );
    return null;
  }
  if (ctx.isProduction) {
    ctx.problems.push(
      'JWT_SECRET: not set; production needs a secret of at least 32 characters (openssl rand -base64 48) or JWT_PRIVATE_KEY_FILE.',
    );
    return null;
  }
  if (ctx.problems.length > 0) return null;
  try {
    const generated = ctx.options.loadDevSecret(ctx.dataDir);
    ctx.warnings.push(
      `JWT_SECRET is not set: using a development secret generated and kept in ${ctx.dataDir}. Never use it in production.`,
    );
    return { kind: 'hs256', secret: generated, generated: true };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.problems.push(
      `DATA_DIR: cannot keep the development secret in ${ctx.dataDir} (${reason}).`,
    );
    return null;
  }
}

interface Readers {
  string(name: string): string | undefined;
  integer(name: string, fallback: number, min: number, max: number): number;
  boolean(name: string, fallback: boolean): boolean;
  oneOf(name: string, allowed: readonly string[], fallback: string): string;
}

function createReaders(env: Env, problems: string[]): Readers {
  return {
    string: (name) => {
      const value = env[name]?.trim();
      return value === '' ? undefined : value;
    },
    integer: (name, fallback, min, max) => {
      const raw = env[name]?.trim();
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < min || value > max) {
        problems.push(`${name}: "${raw}" is not a whole number between ${min} and ${max}.`);
        return fallback;
      }
      return value;
    },
    boolean: (name, fallback) => {
      const raw = env[name]?.trim().toLowerCase();
      if (raw === undefined || raw === '') return fallback;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      problems.push(`${name}: "${raw}" is not true or false.`);
      return fallback;
    },
    oneOf: (name, allowed, fallback) => {
      const raw = env[name]?.trim();
      if (raw === undefined || raw === '') return fallback;
      if (allowed.includes(raw)) return raw;
      problems.push(`${name}: "${raw}" is not one of ${allowed.join(', ')}.`);
      return fallback;
    },
  };
}
