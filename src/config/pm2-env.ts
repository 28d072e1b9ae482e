import type { Env } from './load-config.ts';

/**
 * The environment the service is about to run with. A PM2 cluster worker gets its app's
 * variables as one JSON variable, `pm2_env`, which PM2's process container copies into
 * `process.env` only after the `--import` modules ran: the instrument file reads them from
 * there (string values, as PM2 copies them), so Sentry sees `SENTRY_DSN` under PM2 too.
 */
export function withPm2Env(env: Env): Env {
  const raw = env.pm2_env;
  if (raw === undefined || raw === '') return env;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return env;
    const strings = Object.entries(parsed).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    return { ...env, ...Object.fromEntries(strings) };
  } catch {
    return env;
  }
}
