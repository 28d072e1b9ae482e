// `npm run bench:scaling`: one flux-auth process vs two under PM2 cluster mode
// (deploy/ecosystem.config.cjs, as an operator runs it), on the routes where the event loop is
// the limit: a blocked flood and refreshes with unknown tokens. Needs `npm run build` first and
// DATABASE_URL_PG (PostgreSQL, as production), and wrk (apt-get install -y wrk): the load
// generator shares the two cores, and wrk leaves the service more of them than a Node generator.
// Each side is measured with plain keep-alive and with pipelining (8 requests per write, which
// halves wrk's system calls) over three alternating rounds; the best of each side is compared.
// PM2 runs with a PM2_HOME of its own, so no other PM2 daemon on the machine is touched.
// Prints requests/s, p99, the cores each side kept busy and the 2-vs-1 ratio.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib/net.ts';
import { processCpuSeconds } from './lib/proc.ts';
import { REPO_ROOT } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { fmt } from './lib/stats.ts';
import { requireWrk, runWrk, type WrkResult, type WrkRun } from './lib/wrk.ts';
import { Addresses } from './origin-stack/client.ts';
import { createAccounts } from './origin-stack/workloads.ts';

/** Two instances' throughput as a multiple of one's (issue 13). */
export const SCALING_TARGET = 1.6;

/** Requests per write in wrk's pipelined mode (each side keeps the better of both modes). */
const PIPELINE_DEPTH = 8;

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

/** Cores kept busy during a measurement: the service's processes, wrk, the whole machine. */
interface CoresBusy {
  readonly service: number;
  readonly generator: number;
  readonly machine: number;
}

/** One route's measurement with the generator mode that gave it. */
interface Measurement extends WrkResult {
  readonly pipeline: number;
  readonly cores: CoresBusy;
}

/** Runs wrk and returns what it measured with the cores each side kept busy meanwhile. */
async function measure(pids: readonly number[], run: WrkRun): Promise<Measurement> {
  const service = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const [serviceBefore, machineBefore] = [service(), machineBusySeconds()];
  const result = await runWrk(run);
  const perSecond = (cpuSeconds: number) => cpuSeconds / result.seconds;
  return {
    ...result,
    pipeline: run.pipeline,
    cores: {
      service: perSecond(service() - serviceBefore),
      generator: perSecond(result.cpuSeconds),
      machine: perSecond(machineBusySeconds() - machineBefore),
    },
  };
}

function formatCores(cores: CoresBusy): string {
  return `cores busy: service ${fmt(cores.service, 2)}, wrk ${fmt(cores.generator, 2)}, machine ${fmt(cores.machine, 2)}`;
}

const rate = (m: Measurement) => m.requests / m.seconds;

function formatMeasurement(m: Measurement): string {
  // wrk times a pipelined batch as one, and records some batches as 0 µs: no p99 for those.
  const mode =
    m.pipeline === 1 ? `keep-alive, p99 ${fmt(m.p99Ms, 1)} ms` : `pipelined ×${m.pipeline}`;
  const answers =
    m.non2xx === m.requests ? `all ${m.requests} refused` : `${m.requests - m.non2xx} NOT refused`;
  const errors = m.socketErrors > 0 ? `, ${m.socketErrors} socket errors` : '';
  return `${fmt(rate(m), 0)} req/s (${mode}; ${answers}${errors}); ${formatCores(m.cores)}`;
}

/** One POST from 127.0.0.1, as wrk sends it; returns the status. */
async function post(url: string, path: string, body: string): Promise<number> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Two seconds of load in both modes with every answer's status counted; throws unless all are `refusal`. */
async function checkedWarmUp(url: string, route: ReturnType<typeof routes>[number]): Promise<void> {
  for (const pipeline of [1, PIPELINE_DEPTH]) {
    const run = { url, ...route, connections: 16, seconds: 1, pipeline, countStatuses: true };
    const { statuses } = await runWrk(run);
    const counted = Object.values(statuses ?? {}).reduce((sum, n) => sum + n, 0);
    const other = Object.keys(statuses ?? {}).filter((status) => status !== String(route.refusal));
    if (counted === 0 || other.length > 0)
      throw new Error(
        `${route.name}: answers ${JSON.stringify(statuses)}, expected only ${route.refusal}`,
      );
  }
}

/** The two routes: a login flood from a blocked 127.0.0.1, and refreshes with made-up tokens (shaped like real ones). */
function routes(email: string) {
  return [
    {
      name: 'blocked flood',
      path: '/api/auth/login',
      body: JSON.stringify({ email, password: 'x'.repeat(12) }),
      refusal: 429,
    },
    {
      name: 'unknown refresh',
      path: '/api/auth/refresh',
      body: JSON.stringify({ refreshToken: '{{token}}' }),
      refusal: 401,
    },
  ] as const;
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
  requireWrk();
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
  // Route → "instances/pipeline" → the best of the rounds (background load being what it is).
  const results = new Map<string, Map<string, Measurement>>();
  try {
    for (const instances of [1, 2, 1, 2, 1, 2]) {
      await withPm2(instances, env, async (url, pids) => {
        const [account] = await createAccounts(url, 1, new Addresses(210 + results.size));
        // wrk connects from 127.0.0.1: block it with wrong logins (the block is in Redis, so it
        // holds for every instance and every round).
        for (const route of routes((account as { email: string }).email)) {
          if (route.refusal === 429)
            for (let i = 0; i < 20 && (await post(url, route.path, route.body)) !== 429; i += 1);
          // A warm-up slice (JIT, the block cached on every instance) that also checks, answer by
          // answer, that what wrk sends is refused as intended.
          await checkedWarmUp(url, route);
          for (const pipeline of [1, PIPELINE_DEPTH]) {
            const run = { url, ...route, connections: 16, seconds, pipeline };
            const measured = await measure(pids(), run);
            const byRun = results.get(route.name) ?? new Map<string, Measurement>();
            const key = `${instances}/${pipeline}`;
            const previous = byRun.get(key);
            if (!previous || rate(measured) > rate(previous)) byRun.set(key, measured);
            results.set(route.name, byRun);
          }
        }
      });
    }
  } finally {
    redis.kill('SIGKILL');
  }
  for (const [name, byRun] of results) {
    const best = (instances: number) =>
      [1, PIPELINE_DEPTH]
        .map((pipeline) => byRun.get(`${instances}/${pipeline}`) as Measurement)
        .reduce((a, b) => (rate(b) > rate(a) ? b : a));
    const [one, two] = [best(1), best(2)];
    const ratio = rate(two) / rate(one);
    lines.push(`${name}:`);
    for (const pipeline of [1, PIPELINE_DEPTH]) {
      const [a, b] = [1, 2].map((n) => byRun.get(`${n}/${pipeline}`) as Measurement) as [
        Measurement,
        Measurement,
      ];
      lines.push(
        `  ${pipeline === 1 ? 'keep-alive' : `pipelined ×${pipeline}`}: 1 process ${fmt(rate(a), 0)} req/s, 2 under PM2 ${fmt(rate(b), 0)} req/s (${fmt(rate(b) / rate(a), 2)}×)`,
      );
    }
    lines.push('  best of each side:');
    lines.push(`  1 process:  ${formatMeasurement(one)}`);
    lines.push(
      `  2 under PM2 cluster: ${formatMeasurement(two)} → ${fmt(ratio, 2)}× (target ≥ ${SCALING_TARGET}×) ${ratio >= SCALING_TARGET ? 'OK' : 'MISSED'}`,
    );
    const perCore = (m: Measurement) => rate(m) / m.cores.service;
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
