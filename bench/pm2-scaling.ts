// `npm run bench:scaling`: one flux-auth process vs two under PM2 cluster mode
// (deploy/ecosystem.config.cjs, as an operator runs it), on the routes where the event loop is
// the limit: a blocked flood and refreshes with unknown tokens. Needs `npm run build` first and
// DATABASE_URL_PG (PostgreSQL, as production). PM2 runs with a PM2_HOME of its own, so no other
// PM2 daemon on the machine is touched. Prints requests/s, p99 and the 2-vs-1 ratio.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib/net.ts';
import { processCpuSeconds } from './lib/proc.ts';
import { REPO_ROOT } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, formatStatusCounts } from './lib/stats.ts';
import { Addresses } from './origin-stack/client.ts';
import {
  blockedFlood,
  createAccounts,
  type Measured,
  type Stack,
  unknownRefreshes,
} from './origin-stack/workloads.ts';

/** Two instances' throughput as a multiple of one's (issue 13). */
export const SCALING_TARGET = 1.6;

const PM2 = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not healthy`);
}

/** Waits until PM2 lists `count` instances online (the first healthy answer says one is). */
async function waitForOnline(env: NodeJS.ProcessEnv, count: number): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    const list = JSON.parse(execFileSync(PM2, ['jlist'], { env }).toString('utf8')) as Array<{
      pm2_env?: { status?: string };
    }>;
    if (list.filter((p) => p.pm2_env?.status === 'online').length >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`PM2 did not report ${count} instances online`);
}

/** PIDs of PM2's daemon (in cluster mode the primary that accepts every connection) and its instances. */
function pm2Pids(home: string, env: NodeJS.ProcessEnv): number[] {
  const list = JSON.parse(execFileSync(PM2, ['jlist'], { env }).toString('utf8')) as Array<{
    pid?: number;
  }>;
  const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
  return [daemon, ...list.map((p) => p.pid ?? 0).filter((pid) => pid > 0)];
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat, idle and iowait excluded). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1);
  const ticks = (fields ?? []).map(Number);
  const total = ticks.slice(0, 8).reduce((sum, t) => sum + t, 0);
  return (total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) / 100;
}

/** Cores kept busy during a measurement: the service's processes, this load generator, the machine. */
interface CoresBusy {
  readonly service: number;
  readonly generator: number;
  readonly machine: number;
}

/** Runs `measure` and returns what it measured with the cores each side kept busy meanwhile. */
async function withCpu(
  pids: readonly number[],
  measure: () => Promise<Measured>,
): Promise<Measured & { cores: CoresBusy }> {
  const service = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const [serviceBefore, machineBefore, own] = [service(), machineBusySeconds(), process.cpuUsage()];
  const measured = await measure();
  const ownUsed = process.cpuUsage(own);
  const perSecond = (cpuSeconds: number) => cpuSeconds / measured.seconds;
  return {
    ...measured,
    cores: {
      service: perSecond(service() - serviceBefore),
      generator: perSecond((ownUsed.user + ownUsed.system) / 1e6),
      machine: perSecond(machineBusySeconds() - machineBefore),
    },
  };
}

function formatCores(cores: CoresBusy): string {
  return `cores busy: service ${fmt(cores.service, 2)}, load generator ${fmt(cores.generator, 2)}, machine ${fmt(cores.machine, 2)}`;
}

async function withPm2<T>(
  instances: number,
  env: Record<string, string>,
  run: (url: string, pids: () => number[]) => Promise<T>,
): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), 'flux-pm2-'));
  const port = await freePort();
  const envFile = join(home, 'flux.env');
  writeFileSync(
    envFile,
    Object.entries({ ...env, PORT: String(port), HOST: '127.0.0.1' })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const pm2Env = {
    ...process.env,
    PM2_HOME: home,
    FLUX_AUTH_ENV_FILE: envFile,
    FLUX_AUTH_INSTANCES: String(instances),
  };
  execFileSync(PM2, ['start', join(REPO_ROOT, 'deploy', 'ecosystem.config.cjs')], {
    env: pm2Env,
    stdio: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url);
    await waitForOnline(pm2Env, instances);
    return await run(url, () => pm2Pids(home, pm2Env));
  } finally {
    execFileSync(PM2, ['kill'], { env: pm2Env, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL_PG;
  if (databaseUrl === undefined) throw new Error('DATABASE_URL_PG must name a PostgreSQL database');
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('run `npm run build` first');
  const seconds = envNumber('BENCH_LOAD_SECONDS', 4);
  const lines = [
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
  const redisPort = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 500));
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    LOG_LEVEL: 'warn',
    METRICS_PORT: 'off',
  };
  execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'migrate'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
  });
  const results = new Map<string, Map<number, Measured & { cores: CoresBusy }>>();
  try {
    for (const instances of [1, 2, 1, 2]) {
      await withPm2(instances, env, async (url, pids) => {
        const block = 210 + instances * 10 + results.size;
        const stack: Stack = {
          label: `${instances}`,
          url,
          accounts: await createAccounts(url, 1, new Addresses(block)),
        };
        // A warm-up slice of each (JIT, connection pools, the block cached on every instance).
        await blockedFlood(stack, new Addresses(block + 5), 2);
        await unknownRefreshes(stack, new Addresses(block + 6), 2);
        for (const [name, run] of [
          ['blocked flood', blockedFlood],
          ['unknown refresh', unknownRefreshes],
        ] as const) {
          const measured = await withCpu(pids(), () =>
            run(stack, new Addresses(block + 1 + (name === 'blocked flood' ? 0 : 2)), seconds),
          );
          const byCount = results.get(name) ?? new Map<number, Measured & { cores: CoresBusy }>();
          const previous = byCount.get(instances);
          // Two alternating rounds: keep the better of each, background load being what it is.
          if (
            !previous ||
            measured.requests / measured.seconds > previous.requests / previous.seconds
          ) {
            byCount.set(instances, measured);
          }
          results.set(name, byCount);
        }
      });
    }
  } finally {
    redis.kill('SIGKILL');
  }
  for (const [name, byCount] of results) {
    const one = byCount.get(1) as Measured & { cores: CoresBusy };
    const two = byCount.get(2) as Measured & { cores: CoresBusy };
    const ratio = two.requests / two.seconds / (one.requests / one.seconds);
    lines.push(`${name}:`);
    lines.push(
      `  1 process:  ${fmt(one.requests / one.seconds, 0)} req/s, p99 ${fmt(one.p99Ms, 1)} ms [${formatStatusCounts(one.statuses)}]; ${formatCores(one.cores)}`,
    );
    lines.push(
      `  2 under PM2 cluster: ${fmt(two.requests / two.seconds, 0)} req/s, p99 ${fmt(two.p99Ms, 1)} ms [${formatStatusCounts(two.statuses)}] → ${fmt(ratio, 2)}× (target ≥ ${SCALING_TARGET}×) ${ratio >= SCALING_TARGET ? 'OK' : 'MISSED'}; ${formatCores(two.cores)}`,
    );
    const perCore = (m: Measured & { cores: CoresBusy }) =>
      m.requests / m.seconds / m.cores.service;
    lines.push(
      `  requests per service CPU-second: 1 process ${fmt(perCore(one), 0)}, 2 under PM2 ${fmt(perCore(two), 0)} (${fmt(perCore(two) / perCore(one), 2)}×)`,
    );
  }
  lines.push(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(lines.join('\n'));
}

await main();
