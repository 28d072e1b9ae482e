import type { AlertConfig } from '../alerts/alert-config.ts';
import type { SentryConfig } from './sentry-config.ts';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the signing key for access tokens is obtained. */
export type SigningConfig =
  | { readonly kind: 'hs256'; readonly secret: string; readonly generated: boolean }
  | {
      readonly kind: 'asymmetric';
      readonly alg: 'EdDSA' | 'ES256';
      readonly privateKeyFile: string;
      /** PKCS#8 PEM, read and checked at startup. */
      readonly privateKeyPem: string;
    };

/** Which addresses may set `X-Forwarded-For`: none, a hop count, or CIDRs. */
export type TrustProxy = false | number | readonly string[];

/**
 * Where Prometheus metrics are served: `METRICS_HOST`, and `METRICS_PORT` plus the PM2 instance
 * number (`NODE_APP_INSTANCE`) so instances on one host never share a port.
 */
export interface MetricsListenConfig {
  readonly host: string;
  /** The port this instance listens on (`basePort + instance`; 0 picks a free one). */
  readonly port: number;
  /** `METRICS_PORT` as set (or 9464). */
  readonly basePort: number;
  /** `NODE_APP_INSTANCE` (PM2 cluster mode), 0 when unset. */
  readonly instance: number;
}

/** The whole typed, frozen service configuration. Durations carry their unit in the name. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly redisUrl: string | null;
  readonly redisCluster: boolean;
  /** A detection store call slower than this falls back to the in-process store (ms). */
  readonly redisTimeoutMs: number;
  readonly signing: SigningConfig;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly trustProxy: TrustProxy;
  /** Browser origins (`https://app.example.com`) allowed by CORS; empty: no CORS headers. */
  readonly corsOrigins: readonly string[];
  readonly policyFile: string | null;
  /** Seed lists of known bad ranges (`REPUTATION_LISTS`), reloaded on change; may be empty. */
  readonly reputationLists: readonly string[];
  readonly hashMaxInFlight: number;
  readonly hashMaxQueued: number;
  readonly shutdownTimeoutMs: number;
  readonly cleanupIntervalMs: number;
  /** Security events older than this many days are deleted, in batches, on the cleanup schedule. */
  readonly auditRetentionDays: number;
  /** The `/metrics` listener, or null when `METRICS_PORT=off`. */
  readonly metrics: MetricsListenConfig | null;
  /** Lowest strength score (0–4, zxcvbn's scale) a new password must reach. */
  readonly passwordMinScore: 0 | 1 | 2 | 3 | 4;
  /** `GEOIP_CITY_DB`: a city MMDB (coordinates, accuracy radius), checked at startup; or null. */
  readonly geoipCityDb: string | null;
  /** `LOGIN_HISTORY_DAYS`: how long login outcomes are kept (days). */
  readonly loginHistoryDays: number;
  /** A dashboard session unused for this long is over (`ADMIN_SESSION_IDLE_MINUTES`). */
  readonly adminSessionIdleMinutes: number;
  /** Error tracking (`SENTRY_*`). */
  readonly sentry: SentryConfig;
  /**
   * Alerts by e-mail and webhook (`SMTP_URL`, `ALERT_*`, `PUBLIC_URL`); `PUBLIC_URL` also makes
   * the dashboard session cookie Secure when it is https.
   */
  readonly alerts: AlertConfig;
}
