import { isSeverity, type Severity } from '../events/severity.ts';
import type { Env } from './load-config.ts';
import { readPackageVersion } from './package-version.ts';

/** Error tracking settings; `dsn` null means Sentry is off (a no-op). */
export interface SentryConfig {
  readonly dsn: string | null;
  /** `SENTRY_ENVIRONMENT`, else `NODE_ENV`. */
  readonly environment: string;
  /** `flux-auth@<package version>` unless `SENTRY_RELEASE` says otherwise. */
  readonly release: string;
  /** Share of requests traced, 0–1: 0.1 in production, 1.0 otherwise, unless overridden. */
  readonly tracesSampleRate: number;
  /**
   * `SENTRY_PROFILES_SAMPLE_RATE`, 0–1 (default 0, off): share of processes that profile (SDK
   * 11's continuous profiling decides once per process) while a sampled trace runs.
   */
  readonly profilesSampleRate: number;
  /** Security events at or above this severity become Sentry messages. */
  readonly minSeverity: Severity;
}

/** The parsed Sentry settings, or one plain line per problem. */
export type SentryConfigResult =
  | { readonly ok: true; readonly sentry: SentryConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The parts of a Sentry DSN (`https://<public key>@<host>[:port]/<path/><project id>`). */
export interface ParsedDsn {
  readonly protocol: 'http' | 'https';
  readonly publicKey: string;
  readonly host: string;
  readonly port: string;
  readonly projectId: string;
}

const DSN_PROBLEM =
  "SENTRY_DSN: not a valid Sentry DSN; expected https://<public key>@<host>/<project id> as shown under the project's Settings > Client Keys (DSN), or unset it to turn error tracking off.";

/**
 * Parses a Sentry DSN the way the SDK does (protocol, public key, host, numeric project id);
 * null when it is not one. Never echoes the value: it holds the project's key.
 */
export function parseSentryDsn(dsn: string): ParsedDsn | null {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') return null;
  const projectId = url.pathname.split('/').pop() ?? '';
  if (url.username === '' || url.hostname === '' || !/^\d+$/.test(projectId)) return null;
  if (url.search !== '' || url.hash !== '') return null;
  return { protocol, publicKey: url.username, host: url.hostname, port: url.port, projectId };
}

/**
 * Reads the `SENTRY_*` variables. Shared by `loadConfig` and the instrument file, which runs
 * before the rest of the configuration is loaded (it must initialise Sentry first).
 */
export function readSentryConfig(env: Env): SentryConfigResult {
  const problems: string[] = [];
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  const dsnValue = env.SENTRY_DSN?.trim() ?? '';
  const dsn = dsnValue === '' ? null : dsnValue;
  if (dsn !== null && parseSentryDsn(dsn) === null) problems.push(DSN_PROBLEM);
  const tracesSampleRate = readRate(
    env,
    'SENTRY_TRACES_SAMPLE_RATE',
    nodeEnv === 'production' ? 0.1 : 1,
    problems,
  );
  const profilesSampleRate = readRate(env, 'SENTRY_PROFILES_SAMPLE_RATE', 0, problems);
  const severity = env.SENTRY_MIN_SEVERITY?.trim() || 'high';
  if (!isSeverity(severity)) {
    problems.push(
      `SENTRY_MIN_SEVERITY: "${severity}" is not one of info, low, medium, high, critical.`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    sentry: Object.freeze({
      dsn,
      environment: env.SENTRY_ENVIRONMENT?.trim() || nodeEnv,
      release: env.SENTRY_RELEASE?.trim() || `flux-auth@${readPackageVersion()}`,
      tracesSampleRate,
      profilesSampleRate,
      minSeverity: isSeverity(severity) ? severity : 'high',
    }),
  };
}

function readRate(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) || value < 0 || value > 1) {
    problems.push(`${name}: "${raw}" is not a number between 0 and 1 (e.g. 0.1 for 10%).`);
    return fallback;
  }
  return value;
}
