import type { Env } from './load-config.ts';

export { readVerifyEnv, type VerifyEnv } from './cli-env.ts';
export type {
  Config,
  LogLevel,
  MetricsListenConfig,
  SigningConfig,
  TrustProxy,
} from './config.ts';
export { DEV_SECRET_FILE, loadOrCreateDevSecret } from './dev-secret.ts';
export { type ConfigResult, type Env, loadConfig, MIN_SECRET_LENGTH } from './load-config.ts';
export { readPackageVersion } from './package-version.ts';
export { parseTrustProxy } from './parse-trust-proxy.ts';
export {
  PROXY_SIGHTING_FILE,
  type ProxySighting,
  readProxySighting,
  recordProxySighting,
} from './proxy-sighting.ts';
export {
  type ParsedDsn,
  parseSentryDsn,
  readSentryConfig,
  type SentryConfig,
  type SentryConfigResult,
} from './sentry-config.ts';

/** Exit code for configuration errors (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

/** Exit code when a dependency or a port is unavailable (EX_UNAVAILABLE); restart with backoff. */
export const EXIT_UNAVAILABLE = 69;

/** The process environment; `config/` is the only place that reads it. */
export function readProcessEnv(): Env {
  return process.env;
}
export { withPm2Env } from './pm2-env.ts';
