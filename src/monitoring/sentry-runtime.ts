import * as Sentry from '@sentry/node';
import type { SentryConfig } from '../config/index.ts';
import { buildSentryOptions } from './sentry-options.ts';
import { SentryCounters, type SentryStats } from './sentry-stats.ts';
import { countLostEvents } from './sentry-transport.ts';

/** Sentry as this process runs it: the settings it was started with and its counters. */
export interface SentryRuntime {
  readonly config: SentryConfig;
  readonly counters: SentryCounters;
}

// The SDK is process-global (one client per process, set up by the instrument file before the
// app is imported); its runtime lives beside it under a registered symbol, not in a module
// variable, so a second copy of this module (another loader) still finds it.
const RUNTIME_KEY = Symbol.for('flux-auth.sentry-runtime');
type RuntimeHolder = { [RUNTIME_KEY]?: SentryRuntime };

/**
 * Initialises Sentry once per process with flux-auth's options; null (and nothing started) when
 * `config.dsn` is null. A second call returns the first runtime.
 */
export function initSentry(config: SentryConfig): SentryRuntime | null {
  const existing = getSentryRuntime();
  if (existing !== null) return existing;
  if (config.dsn === null) return null;
  const counters = new SentryCounters();
  const client = Sentry.init(buildSentryOptions(config, counters));
  if (client !== undefined) countLostEvents(client, counters);
  const runtime: SentryRuntime = { config, counters };
  (globalThis as RuntimeHolder)[RUNTIME_KEY] = runtime;
  return runtime;
}

/** The running Sentry of this process, or null when it was not initialised. */
export function getSentryRuntime(): SentryRuntime | null {
  return (globalThis as RuntimeHolder)[RUNTIME_KEY] ?? null;
}

/** Sent, dropped and suppressed counts for metrics and the shutdown log (zeros when off). */
export function sentryStats(): SentryStats {
  return getSentryRuntime()?.counters.snapshot() ?? { sent: 0, dropped: 0, suppressed: 0 };
}

/** Sends what is queued, waiting at most `timeoutMs`; true when everything went out. */
export async function flushSentry(timeoutMs: number): Promise<boolean> {
  if (getSentryRuntime() === null) return true;
  return Sentry.flush(Math.max(0, timeoutMs));
}
