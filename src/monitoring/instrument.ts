/**
 * Loaded with `node --import` before anything else (see bin/instrument.js): Sentry must be set up
 * before Fastify, http, pg and ioredis are imported so their instrumentation applies. Reads only
 * the `SENTRY_*` settings, through config; an invalid value leaves Sentry off here and is
 * reported (exit 78) by the full configuration check that follows.
 */
import { isMainThread } from 'node:worker_threads';
import { readProcessEnv, readSentryConfig, withPm2Env } from '../config/index.ts';
import { initSentry } from './sentry-runtime.ts';

// The flag is inherited by every worker thread (the password-hashing pool): no SDK, no timers
// and no sockets there.
if (isMainThread) {
  // Under PM2 cluster mode the app's variables arrive as `pm2_env`, applied after this runs.
  const result = readSentryConfig(withPm2Env(readProcessEnv()));
  if (result.ok) initSentry(result.sentry);
}
