import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  type Config,
  type Env,
  loadConfig,
  loadOrCreateDevSecret,
  PROXY_SIGHTING_FILE,
  readProxySighting,
} from '../config/index.ts';
import { createDatabase, listPendingMigrations } from '../db/index.ts';
import { loadPolicyFile, PolicyFileError } from '../detection/index.ts';
import { redactUrlCredentials, scrubString } from '../monitoring/scrubber.ts';
import { checkSmtp, checkWebhook } from './doctor-alerts.ts';
import { checkGeoip } from './doctor-geoip.ts';
import { checkSentry, pingSentryHost, type SentryPing } from './doctor-sentry.ts';

/** One line of the doctor's table. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to do about a failure; empty when ok. */
  readonly fix: string;
}

/** Pings Redis; resolves when it answers, rejects otherwise. Injected so doctor stays testable. */
export type RedisPing = (url: string, cluster: boolean) => Promise<void>;

/** Runs every check, none of which throws; a failed config stops the checks that need it. */
export async function runDoctor(
  env: Env,
  cwd: string,
  pingRedis: RedisPing,
  pingSentry: SentryPing = pingSentryHost,
): Promise<DoctorCheck[]> {
  const result = loadConfig(env, { cwd, loadDevSecret: loadOrCreateDevSecret });
  if (!result.ok) {
    return result.problems.map((problem) => ({
      name: 'config',
      ok: false,
      detail: problem,
      fix: 'Set the variable as described and run `flux-auth doctor` again.',
    }));
  }
  const { config } = result;
  const checks: DoctorCheck[] = [
    { name: 'config', ok: true, detail: `${config.env}, ${describeSigning(config)}`, fix: '' },
    checkDataDir(config),
  ];
  checks.push(await checkPolicy(config));
  checks.push(...(await checkDatabase(config)));
  checks.push(await checkRedis(config, pingRedis));
  checks.push(checkTrustProxy(config));
  checks.push(await checkMetricsListener(config));
  checks.push(await checkSentry(config, pingSentry));
  checks.push(await checkGeoip(config));
  checks.push(await checkSmtp(config), await checkWebhook(config));
  return checks;
}

function describeSigning(config: Config): string {
  return config.signing.kind === 'asymmetric' ? `${config.signing.alg} key file` : 'HS256 secret';
}

async function checkPolicy(config: Config): Promise<DoctorCheck> {
  if (!config.policyFile) return { name: 'policy', ok: true, detail: 'built-in defaults', fix: '' };
  try {
    await loadPolicyFile(config.policyFile);
    return { name: 'policy', ok: true, detail: `${config.policyFile} is valid`, fix: '' };
  } catch (error) {
    const problems = error instanceof PolicyFileError ? error.problems.join('; ') : reasonOf(error);
    return {
      name: 'policy',
      ok: false,
      detail: problems,
      fix: 'Fix FLUX_AUTH_POLICY as described (see README, Detection policy).',
    };
  }
}

function checkDataDir(config: Config): DoctorCheck {
  try {
    mkdirSync(config.dataDir, { recursive: true });
    accessSync(config.dataDir, constants.W_OK);
    return { name: 'data directory', ok: true, detail: `${config.dataDir} is writable`, fix: '' };
  } catch {
    return {
      name: 'data directory',
      ok: false,
      detail: `${config.dataDir} is not writable`,
      fix: 'Create it and give the service user write access, or set DATA_DIR.',
    };
  }
}

async function checkDatabase(config: Config): Promise<DoctorCheck[]> {
  const where = redactUrl(config.databaseUrl);
  let handle: ReturnType<typeof createDatabase> | undefined;
  try {
    handle = createDatabase({ url: config.databaseUrl, connectTimeoutMs: 3000 });
    await handle.ping();
  } catch (error) {
    await handle?.destroy().catch(() => {});
    return [
      {
        name: 'database',
        ok: false,
        detail: `cannot reach ${where}: ${reasonOf(error)}`,
        fix: 'Check DATABASE_URL (host, port, user, database name) and that the server is running.',
      },
    ];
  }
  try {
    const pending = await listPendingMigrations(handle.db);
    const migrations: DoctorCheck =
      pending.length === 0
        ? { name: 'migrations', ok: true, detail: 'all applied', fix: '' }
        : {
            name: 'migrations',
            ok: false,
            detail: `${pending.length} pending: ${pending.join(', ')}`,
            fix: 'Run `flux-auth migrate`.',
          };
    return [{ name: 'database', ok: true, detail: `${where} reachable`, fix: '' }, migrations];
  } finally {
    await handle.destroy().catch(() => {});
  }
}

async function checkRedis(config: Config, pingRedis: RedisPing): Promise<DoctorCheck> {
  if (!config.redisUrl) {
    return {
      name: 'redis',
      ok: true,
      detail: 'not configured (in-process detection store)',
      fix: '',
    };
  }
  try {
    await pingRedis(config.redisUrl, config.redisCluster);
    return { name: 'redis', ok: true, detail: `${redactUrl(config.redisUrl)} reachable`, fix: '' };
  } catch (error) {
    return {
      name: 'redis',
      ok: false,
      detail: `cannot reach ${redactUrl(config.redisUrl)}: ${reasonOf(error)}`,
      fix: 'Check REDIS_URL and that Redis is running (redis-cli -u "$REDIS_URL" ping).',
    };
  }
}

/**
 * TRUST_PROXY against what the running instances saw: each notes in DATA_DIR the first request
 * that came through a proxy (X-Forwarded-For/Forwarded from a loopback or private peer) while
 * TRUST_PROXY was unset. Such a note with TRUST_PROXY still unset fails: all clients are one.
 */
function checkTrustProxy(config: Config): DoctorCheck {
  const name = 'trusted proxy';
  const trust = config.trustProxy;
  if (trust !== false) {
    const value = typeof trust === 'number' ? `${trust} hop(s)` : trust.join(',');
    return {
      name,
      ok: true,
      detail: `TRUST_PROXY=${value}: clients are read from X-Forwarded-For`,
      fix: '',
    };
  }
  const sighting = readProxySighting(config.dataDir);
  if (sighting === null) {
    return {
      name,
      ok: true,
      detail: 'TRUST_PROXY not set; no proxy seen in front (socket address is the client)',
      fix: '',
    };
  }
  return {
    name,
    ok: false,
    detail: `requests came through a proxy at ${sighting.peer} (since ${new Date(sighting.at).toISOString()}) but TRUST_PROXY is not set: every client behind it is counted and blocked as one`,
    fix: `Set TRUST_PROXY to the proxy's address (e.g. TRUST_PROXY=${sighting.peer}) or hop count; if no proxy is in front any more, delete ${join(config.dataDir, PROXY_SIGHTING_FILE)}.`,
  };
}

/** Binds the metrics address for a moment: is the port free and the host an address here? */
async function checkMetricsListener(config: Config): Promise<DoctorCheck> {
  const listen = config.metrics;
  const name = 'metrics listener';
  if (listen === null) return { name, ok: true, detail: 'off (METRICS_PORT=off)', fix: '' };
  const where = `${listen.host}:${listen.port}`;
  const code = await new Promise<string | null>((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    server.listen({ host: listen.host, port: listen.port }, () =>
      server.close(() => resolve(null)),
    );
  });
  if (code === null) return { name, ok: true, detail: `${where} is free`, fix: '' };
  if (code === 'EADDRINUSE') {
    return {
      name,
      ok: false,
      detail: `${where} is already in use`,
      fix: 'Set METRICS_PORT to a free port (or off); ignore if flux-auth itself holds it.',
    };
  }
  if (code === 'EACCES') {
    return {
      name,
      ok: false,
      detail: `no permission to listen on ${where}`,
      fix: 'Use a METRICS_PORT above 1023.',
    };
  }
  return {
    name,
    ok: false,
    detail: `cannot listen on ${where} (${code})`,
    fix: 'Set METRICS_HOST to an address of this machine (default 127.0.0.1).',
  };
}

/** Hides the password in a connection URL, keeping the user (which account to check). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.startsWith('sqlite:') ? url : redactUrlCredentials(url);
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Driver messages can echo the connection string; keep them short and without credentials.
  return scrubString(message).slice(0, 200);
}

/** Renders the checks as an aligned text table. */
export function formatDoctorTable(checks: readonly DoctorCheck[]): string {
  const rows = checks.map((c) => [c.ok ? 'ok' : 'FAIL', c.name, c.detail, c.fix]);
  const header = ['status', 'check', 'detail', 'fix'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
