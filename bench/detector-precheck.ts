import { randomUUID } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  createDetector,
  DEFAULT_POLICY,
  type Detector,
  ResilientCounterStore,
} from '../src/detection/index.ts';
import { SecurityEventBus } from '../src/events/index.ts';
import {
  createRedisClient,
  MemoryCounterStore,
  type RedisClient,
  RedisCounterStore,
  waitForRedisReady,
} from '../src/store/index.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Measured time per side, split into interleaved rounds so drift and noise hit both. */
const DURATION_MS = 10_000;
const ROUNDS = 20;
const WARMUP_MS = 1500;
const CONCURRENCY = 32;

/** What one side did over its rounds. */
interface SideStats {
  ops: number;
  ms: number;
  /** Node process CPU (user + system), µs. */
  nodeCpuUs: number;
  /** Redis server CPU (user + system), µs. */
  redisCpuUs: number;
  /** `INFO commandstats` summed over the rounds: command → calls and usec. */
  commands: Map<string, { calls: number; usec: number }>;
}

/**
 * Detector precheck (login, all rules, Redis) against rate-limiter-flexible's consume on the
 * same Redis in the same run, and the memory held by `MemoryCounterStore` for 1,000,000 IPs.
 * Both sides: one ioredis client (auto-pipelining), 32 concurrent callers, a new key per
 * operation, warm-up, then interleaved rounds (A B B A …). Redis time per script comes from
 * `INFO commandstats` (reset before every round), CPU per operation from the Node process
 * and from Redis's `INFO cpu`, so a slow side shows where its time goes.
 */
export async function runDetectorBench(): Promise<string[]> {
  const lines: string[] = [];
  const client = createRedisClient(REDIS_URL);
  try {
    await waitForRedisReady(client, 2000);
    lines.push(...(await benchRedis(client)));
  } catch (error) {
    lines.push(`detector vs rate-limiter-flexible: skipped (${String(error)})`);
  } finally {
    client.disconnect();
  }
  lines.push(await benchMemory());
  return lines;
}

async function benchRedis(client: RedisClient): Promise<string[]> {
  const prefix = `fa-bench-${randomUUID().slice(0, 8)}:`;
  const policy = { ...DEFAULT_POLICY, rules: { ...DEFAULT_POLICY.rules } };
  const bus = new SecurityEventBus();
  const redisStore = new RedisCounterStore(client, { keyPrefix: prefix });
  const detector = createDetector({ store: redisStore, policy: () => policy, bus });
  // As a server composes it: the Redis store under the failover watch (per-call timer).
  const resilientStore = new ResilientCounterStore({ primary: redisStore, bus });
  const served = createDetector({ store: resilientStore, policy: () => policy, bus });
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: `${prefix}rlf`,
    points: 1_000_000_000,
    duration: 60,
  });
  let n = 0;
  // Distinct IPs and accounts so no rule blocks: every precheck does the full work (bot
  // window, failure slots, reservation). Both sides see a new key per operation.
  const precheck = () => precheckOnce(detector, n++);
  const consume = () => limiter.consume(ipOf(n++)).then(() => undefined);
  const servedPrecheck = () => precheckOnce(served, n++);
  const operations = { precheck, consume, served: servedPrecheck };
  for (const operation of Object.values(operations)) await run(operation, WARMUP_MS);
  const sides = { precheck: emptyStats(), consume: emptyStats(), served: emptyStats() };
  const names = Object.keys(operations) as (keyof typeof operations)[];
  const roundMs = DURATION_MS / ROUNDS;
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each side leads, follows and trails equally often.
    const order = names.map((_, i) => names[(i + round) % names.length] as keyof typeof operations);
    for (const side of order) await measureRound(client, operations[side], roundMs, sides[side]);
  }
  resilientStore.close();
  await cleanup(client, prefix);
  const precheckOps = opsPerSecond(sides.precheck);
  const consumeOps = opsPerSecond(sides.consume);
  const servedOps = opsPerSecond(sides.served);
  const ratio = consumeOps / precheckOps;
  return [
    `detector.precheck (login, all rules, Redis): ${precheckOps.toFixed(0)} ops/s`,
    `rate-limiter-flexible RateLimiterRedis.consume: ${consumeOps.toFixed(0)} ops/s`,
    `precheck time / consume time: ${ratio.toFixed(2)}x (target <= 1.0x)`,
    `  precheck cost per op: ${costLine(sides.precheck)}`,
    `  consume  cost per op: ${costLine(sides.consume)}`,
    `  as a server runs it (Redis store under ResilientCounterStore's failover watch): ${servedOps.toFixed(0)} ops/s, ${(consumeOps / servedOps).toFixed(2)}x consume time (informational)`,
  ];
}

function emptyStats(): SideStats {
  return { ops: 0, ms: 0, nodeCpuUs: 0, redisCpuUs: 0, commands: new Map() };
}

function opsPerSecond(stats: SideStats): number {
  return stats.ops / (stats.ms / 1000);
}

function costLine(stats: SideStats): string {
  const scripts = [...stats.commands]
    .filter(([, c]) => c.calls >= stats.ops / 100)
    .sort((a, b) => b[1].usec - a[1].usec)
    .map(
      ([name, c]) =>
        `${name} ${(c.usec / c.calls).toFixed(2)} us/call x${(c.calls / stats.ops).toFixed(2)}`,
    )
    .join(', ');
  const node = (stats.nodeCpuUs / stats.ops).toFixed(1);
  const redis = (stats.redisCpuUs / stats.ops).toFixed(1);
  return `Node CPU ${node} us, Redis CPU ${redis} us; Redis commandstats: ${scripts}`;
}

async function measureRound(
  client: RedisClient,
  operation: () => Promise<unknown>,
  durationMs: number,
  stats: SideStats,
): Promise<void> {
  await client.config('RESETSTAT');
  const redisCpuBefore = await redisCpuUs(client);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const ops = await run(operation, durationMs);
  stats.ms += performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  stats.nodeCpuUs += cpu.user + cpu.system;
  stats.redisCpuUs += (await redisCpuUs(client)) - redisCpuBefore;
  stats.ops += ops;
  for (const [name, c] of await commandStats(client)) {
    const sum = stats.commands.get(name) ?? { calls: 0, usec: 0 };
    sum.calls += c.calls;
    sum.usec += c.usec;
    stats.commands.set(name, sum);
  }
}

/** Runs `operation` from CONCURRENCY callers until the deadline; returns how many finished. */
async function run(operation: () => Promise<unknown>, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done += 1;
      }
    }),
  );
  return done;
}

async function redisCpuUs(client: RedisClient): Promise<number> {
  const info = String(await client.info('cpu'));
  const field = (name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** `INFO commandstats` without the bench's own INFO/CONFIG calls. */
async function commandStats(
  client: RedisClient,
): Promise<Map<string, { calls: number; usec: number }>> {
  const info = String(await client.info('commandstats'));
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    const name = m[1] as string;
    if (name === 'info' || name.startsWith('config')) continue;
    out.set(name, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function precheckOnce(detector: Detector, i: number): Promise<unknown> {
  return detector.precheck({
    ip: ipOf(i),
    userAgent: 'Mozilla/5.0 bench',
    route: 'login',
    account: `user${i}@example.com`,
    requestId: String(i),
    now: Date.now(),
  });
}

async function cleanup(client: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

async function benchMemory(): Promise<string> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = new MemoryCounterStore();
  const limits = { windowMs: 300_000, blockMs: 3_600_000, isEnforced: true };
  const now = Date.now();
  for (let i = 0; i < 1_000_000; i += 1) {
    store.precheckIpSync({
      ipKey: ipOf(i),
      now,
      account: `acct${i % 1000}`,
      bruteForce: { ...limits, limit: 5 },
      botActivity: { ...limits, limit: 50, windowMs: 60_000 },
      isExempt: false,
    });
  }
  gc?.();
  const mb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  const note = gc === undefined ? ' (no --expose-gc: upper bound)' : '';
  return `MemoryCounterStore after 1,000,000 distinct IPs (login prechecks): ${mb.toFixed(0)} MB heap, ${store.stats().ips} keys${note} (target <= 200 MB)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runDetectorBench()) console.log(line);
}
