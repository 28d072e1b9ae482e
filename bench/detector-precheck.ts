import { randomUUID } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createDetector, DEFAULT_POLICY, type Detector } from '../src/detection/index.ts';
import { SecurityEventBus } from '../src/events/index.ts';
import {
  createRedisClient,
  MemoryCounterStore,
  type RedisClient,
  RedisCounterStore,
  waitForRedisReady,
} from '../src/store/index.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION_MS = 5000;
const CONCURRENCY = 32;

/**
 * Detector precheck (all rules, Redis) against rate-limiter-flexible's consume on the same
 * Redis in the same run, and the memory held by `MemoryCounterStore` for 1,000,000 IPs.
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
  const detector = createDetector({
    store: new RedisCounterStore(client, { keyPrefix: prefix }),
    policy: () => policy,
    bus: new SecurityEventBus(),
  });
  const limiter = new RateLimiterRedis({
    storeClient: client,
    keyPrefix: `${prefix}rlf`,
    points: 1_000_000_000,
    duration: 60,
  });
  let n = 0;
  // Distinct IPs and accounts so no rule blocks: every precheck does the full work. Both
  // sides see the same key pattern (a new key per operation), client and concurrency.
  const precheck = () => precheckOnce(detector, n++);
  const consume = () => limiter.consume(ipOf(n++)).then(() => undefined);
  await measure(precheck, 1000);
  await measure(consume, 1000);
  const precheckOps = await measure(precheck, DURATION_MS);
  const consumeOps = await measure(consume, DURATION_MS);
  await cleanup(client, prefix);
  const ratio = consumeOps / precheckOps;
  return [
    `detector.precheck (login, all rules, Redis): ${precheckOps.toFixed(0)} ops/s`,
    `rate-limiter-flexible RateLimiterRedis.consume: ${consumeOps.toFixed(0)} ops/s`,
    `precheck time / consume time: ${ratio.toFixed(2)}x (target <= 1.0x)`,
  ];
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

async function measure(operation: () => Promise<unknown>, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
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
