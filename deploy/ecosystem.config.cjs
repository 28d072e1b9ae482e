// PM2 process file for flux-auth: `pm2 start deploy/ecosystem.config.cjs` from the checkout,
// after `npm ci && npm run build && npm prune --omit=dev` (see README, Deploying).
//
// Settings come from the environment of the `pm2 start` command and from `.env` at the
// checkout's root (or the file named by FLUX_AUTH_ENV_FILE); copy deploy/.env.example there.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parseEnv } = require('node:util');

const root = join(__dirname, '..');
const envFile = process.env.FLUX_AUTH_ENV_FILE || join(root, '.env');
const fileEnv = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};

module.exports = {
  apps: [
    {
      name: 'flux-auth',
      cwd: root,
      // Compiled JavaScript: no TypeScript tooling in production.
      script: 'dist/cli/main.js',
      args: 'start',
      // Error tracking first: the Sentry SDK must be set up before the service imports http,
      // Fastify, pg and ioredis. An absolute path: a cluster worker starts in PM2's own
      // directory. bin/instrument.js loads dist/ when TypeScript tooling is absent.
      node_args: ['--import', join(root, 'bin', 'instrument.js')],
      // Cluster mode: the instances share one port; limits are shared through REDIS_URL and
      // DATABASE_URL, so every instance must point at the same Redis and PostgreSQL.
      exec_mode: 'cluster',
      instances: Number(process.env.FLUX_AUTH_INSTANCES || fileEnv.FLUX_AUTH_INSTANCES || 2),
      // Exit 78 (EX_CONFIG) is a configuration error: stop with the message, never loop.
      stop_exit_codes: [78],
      // Anything else (exit 69: database or port not available yet) is retried with a delay
      // that grows 1.5x from 200 ms up to PM2's cap of 15 s, and resets once the app runs 30 s.
      exp_backoff_restart_delay: 200,
      // SIGINT then this long before SIGKILL: longer than SHUTDOWN_TIMEOUT_MS (10 s default),
      // so in-flight requests finish and the audit log is flushed.
      kill_timeout: 15000,
      // JSON log lines as the service writes them, one file per instance.
      merge_logs: false,
      env: { NODE_ENV: 'production', ...fileEnv },
    },
  ],
};
