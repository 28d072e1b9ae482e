// `npm run bench:load`: flux-auth end to end against the origin's stack (bench/origin-stack/,
// a BASELINE reproduction: Express 5, express-rate-limit 8 + rate-limit-redis, bcryptjs cost
// 10, jsonwebtoken), both on one redis-server of the bench's own. The same four workloads run
// against both, alternating, and flux-auth's ratio is printed; then the FIELD-NOTES scenarios
// against each. Never fails on timing: a missed target prints MISSED and exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib/net.ts';
import { REPO_ROOT, startServer } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, formatStatusCounts } from './lib/stats.ts';
import { Addresses } from './origin-stack/client.ts';
import { runScenarios } from './origin-stack/scenarios.ts';
import {
  blockedFlood,
  correctLogins,
  createAccounts,
  type Measured,
  refreshes,
  type Stack,
  wrongUntilBlocked,
} from './origin-stack/workloads.ts';

/** Blocked-flood throughput of flux-auth as a multiple of the origin's (issue 13). */
export const BLOCKED_FLOOD_VS_ORIGIN_TARGET = 3;

interface Child {
  readonly url: string;
  stop(): Promise<void>;
}

/** Spawns `command` and resolves once a line of its stdout matches `ready` (group 1: URL). */
function spawnUntil(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<Child> {
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = ready.exec(output);
      if (match) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({
          url: match[1] ?? '',
          stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const gone = new Promise((done) => child.once('exit', done));
            child.kill('SIGKILL');
            await gone;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}): ${output}`)));
  });
}

function rate(m: Measured): number {
  return m.requests / m.seconds;
}

function describe(m: Measured): string {
  return `${fmt(rate(m), 0)} req/s, p99 ${fmt(m.p99Ms, 1)} ms [${formatStatusCounts(m.statuses)}]${m.note ? ` (${m.note})` : ''}`;
}

async function main(): Promise<void> {
  const seconds = envNumber('BENCH_LOAD_SECONDS', 4);
  const lines: string[] = [
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
  const redisPort = await freePort();
  const redis = await spawnUntil(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    process.env,
    /()Ready to accept connections/,
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const origin = await spawnUntil(
    process.execPath,
    [join(REPO_ROOT, 'bench', 'origin-stack', 'server.mjs')],
    { ...process.env, PORT: '0', REDIS_URL: redisUrl },
    /origin-stack listening (\S+)/,
  );
  const flux = await startServer({ env: { REDIS_URL: redisUrl } });
  try {
    const servers = [
      { label: 'origin', url: origin.url },
      { label: 'flux-auth', url: flux.baseUrl },
    ];
    const signupAddresses = [new Addresses(140), new Addresses(141)];
    // Fresh accounts for every workload: flux-auth's account guard throttles an account that
    // many IPs failed on (SPEC §3), which would otherwise carry over into the next workload.
    const withAccounts = async (): Promise<Stack[]> =>
      Promise.all(
        servers.map(async ({ label, url }, i) => ({
          label,
          url,
          accounts: await createAccounts(url, 8, signupAddresses[i] as Addresses),
        })),
      );
    const workloads = [
      { name: 'correct logins', run: correctLogins, block: 150 },
      { name: 'wrong logins until blocked', run: wrongUntilBlocked, block: 160 },
      { name: 'blocked flood', run: blockedFlood, block: 170 },
      { name: 'refresh', run: refreshes, block: 180 },
    ];
    for (const [w, workload] of workloads.entries()) {
      const results = new Map<string, Measured>();
      const stacks = await withAccounts();
      // Alternating order per workload, so drift in background load hits both alike.
      const order = w % 2 === 0 ? stacks : [...stacks].reverse();
      for (const stack of order) {
        // Each stack its own address block: no client IP is shared between the two.
        const addresses = new Addresses(workload.block + (stack.label === 'origin' ? 0 : 5));
        results.set(stack.label, await workload.run(stack, addresses, seconds));
      }
      const base = results.get('origin') as Measured;
      const ours = results.get('flux-auth') as Measured;
      const ratio = rate(ours) / rate(base);
      const target =
        workload.name === 'blocked flood'
          ? ` (target ≥ ${BLOCKED_FLOOD_VS_ORIGIN_TARGET}×) ${ratio >= BLOCKED_FLOOD_VS_ORIGIN_TARGET ? 'OK' : 'MISSED'}`
          : '';
      lines.push(`${workload.name}:`);
      lines.push(`  origin (baseline): ${describe(base)}`);
      lines.push(`  flux-auth:         ${describe(ours)} → ${fmt(ratio, 2)}× the origin${target}`);
    }
    for (const [i, stack] of (await withAccounts()).entries()) {
      const results = await runScenarios(stack, new Addresses(200 + i));
      lines.push(`FIELD-NOTES scenarios, ${stack.label}:`);
      for (const r of results)
        lines.push(`  ${r.holds ? 'HOLDS ' : 'FAILS '} ${r.name} — ${r.detail}`);
    }
  } finally {
    await flux.stop();
    await origin.stop();
    await redis.stop();
  }
  lines.push(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(lines.join('\n'));
}

await main();
