import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, countStatuses } from '../helpers/attack-client.ts';
import { freePort, RedisServerProcess } from '../helpers/attack-redis-server.ts';
import { IS_CI, sleep } from '../helpers/attack-stores.ts';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import {
  burst,
  eventDetails,
  eventTimes,
  type LoadResponse,
  LoginLoad,
  waitForFleetOnRedis,
  waitForStores,
} from '../helpers/fleet-drills.ts';
import { type Scrape, scrapeMetrics } from '../helpers/metrics-scrape.ts';
import {
  type ServerProcess,
  startServerProcesses,
  stopServerProcesses,
} from '../helpers/server-processes.ts';

const FLEET = 3;
const TRIALS = 20;
const missing =
  spawnSync('redis-server', ['--version']).status === 0 ? null : 'redis-server not on PATH';
const suite = missing !== null && !IS_CI ? describe.skip : describe;

/** One drill's time window (epoch ms), to count the events each switch wrote. */
interface Window {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

const STORE_CALLS = 'flux_auth_detection_store_call_duration_seconds';
const OUTCOMES = ['ok', 'error', 'timeout'] as const;
/** REDIS_TIMEOUT_MS (default 50) + 250 ms, in seconds: a histogram bucket boundary. */
const STORE_WAIT_LINE = '0.3';

/** Redis calls of one scrape: all of them, and those that waited longer than the line. */
function storeCalls(scrape: Scrape): { total: number; over: number; timeouts: number } {
  let total = 0;
  let within = 0;
  for (const outcome of OUTCOMES) {
    total += scrape.count(STORE_CALLS, { outcome }) ?? 0;
    within += scrape.value(`${STORE_CALLS}_bucket`, { outcome, le: STORE_WAIT_LINE }) ?? 0;
  }
  const timeouts = scrape.count(STORE_CALLS, { outcome: 'timeout' }) ?? 0;
  return { total, over: total - within, timeouts };
}

/** Every server's Redis calls (see `storeCalls`). */
async function fleetStoreCalls(servers: readonly ServerProcess[]) {
  const scrapes = await Promise.all(servers.map((s) => scrapeMetrics(s.metricsUrl ?? '')));
  return scrapes.map(storeCalls);
}

/** Requests that got no answer or a 5xx, for an expectation's message. */
function failures(responses: readonly LoadResponse[]): LoadResponse[] {
  return responses.filter((r) => r.status === 0 || r.status >= 500);
}

// Both suites live in one file so that they run one after the other: each starts three server
// processes and a burst of 1,000 requests, and running them side by side would starve the
// test's own Redis of CPU (a Redis that does not answer for 100 ms is, by the contract, slow).

// Issue 7: three `flux-auth start` processes sharing one healthy Redis used to fall back to
// memory during the attacker's own burst (their event loops, not Redis, were slow), so 15-20
// guesses reached the password check. The switch now follows Redis's health only.
suite(`three server processes, one healthy Redis, default REDIS_TIMEOUT_MS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let db: TestDatabase;
  let redis: RedisServerProcess;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}; CI must provide it`);
    // PostgreSQL, as a real fleet runs: one schema shared by the three processes.
    db = await openPostgresTestDatabase();
    // A Redis of its own: other suites' keys and load stay out of the fleet's count. Healthy is
    // this suite's premise, so the host's unrelated load must not starve it (on a 2-core host
    // at load 20 a normal-priority Redis was seen answering nothing for 250-400 ms, which by
    // the contract is a Redis outage); the three services keep the normal priority, so all of
    // their own queueing under the burst is still there.
    redis = new RedisServerProcess(await freePort(), { priority: -10 });
    await redis.start();
    servers = await startServerProcesses(3, { databaseUrl: db.url, redisUrl: redis.url });
    await waitForFleetOnRedis(servers, 3);
  }, 120_000);

  afterAll(async () => {
    await stopServerProcesses(servers);
    await redis?.kill();
    await db?.cleanup();
  }, 60_000);

  it(`1,000 concurrent wrong logins from one IP: exactly 5 × 401 and 995 × 429, ${TRIALS} times in a row, never degraded`, async () => {
    const results: string[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      // A fresh client address and account per trial: no counter carries over.
      const attacker = new AttackClient(`127.70.${trial + 1}.1`, { maxSockets: 50 });
      const email = `fleet-victim-${trial}@example.com`;
      try {
        const responses = await burst(attacker, servers, 1000, '/api/auth/login', (i) => ({
          email,
          password: `wrong guess ${i}`,
        }));
        const counts = countStatuses(responses);
        results.push(JSON.stringify(counts));
        const late = servers
          .flatMap((s) => s.output().split('\n'))
          .filter((l) => l.includes('Redis late'));
        const degraded = await eventDetails(db.handle, 'detection_store_degraded');
        const context = `trial ${trial + 1}: ${JSON.stringify(counts)}; so far ${results.join(' ')}; degraded events so far ${degraded.length} ${degraded.join(' ')}; ${late.join('\n')}`;
        expect(counts, context).toEqual({ 401: 5, 429: 995 });

        const withoutRetryAfter = responses.filter(
          (r) => r.status === 429 && r.headers['retry-after'] === undefined,
        );
        expect(withoutRetryAfter, context).toEqual([]);
      } finally {
        attacker.close();
      }
    }
    // Graceful stop flushes every audit buffer, so the count below is complete.
    const codes = await stopServerProcesses(servers);
    expect(codes).toEqual([0, 0, 0]);
    const degraded = await eventTimes(db.handle, 'detection_store_degraded');
    expect(degraded, `results ${results.join(' ')}`).toEqual([]);
    console.info(`fleet exact-limit trials: ${results.join(' ')}`);
  }, 600_000);
});

// Issue 7 / SPEC §3: a real outage is caught (SIGSTOP, kill), nobody waits on the dead Redis,
// detection comes back by itself, each switch writes one event per instance, and while
// degraded the fleet keeps its budget: ceil(limit / 3) per instance, at most 7 past the check.
suite(`three server processes through Redis outages${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let db: TestDatabase;
  let redis: RedisServerProcess;
  let servers: ServerProcess[] = [];
  const windows: Window[] = [];

  const isDegraded = (s: { status: string }) => s.status === 'degraded';
  const isOnRedis = (s: { status: string }) => s.status === 'ok';

  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}; CI must provide it`);
    // PostgreSQL, as a real fleet runs: one schema shared by the three processes.
    db = await openPostgresTestDatabase();
    redis = new RedisServerProcess(await freePort());
    await redis.start();
    servers = await startServerProcesses(FLEET, {
      databaseUrl: db.url,
      redisUrl: redis.url,
      metrics: true,
    });
    await waitForFleetOnRedis(servers, FLEET);
  }, 120_000);

  afterAll(async () => {
    await stopServerProcesses(servers);
    await redis?.kill();
    await db?.cleanup();
  }, 60_000);

  /**
   * Runs `outage` under steady load, waits until every instance is degraded, keeps the load
   * up a little, then collects every answer *before* `restore` runs: a request waiting on the
   * dead Redis would still be waiting, so "all answered" proves nobody waits on it.
   */
  async function drill(
    name: string,
    block: number,
    outage: () => Promise<void>,
    restore: () => Promise<void>,
  ): Promise<void> {
    const from = Date.now();
    const load = new LoginLoad(servers, { workers: 6, block });
    await sleep(500);
    const callsBefore = await fleetStoreCalls(servers);
    const stoppedAt = performance.now();
    await outage();
    await waitForStores(servers, isDegraded);
    const switchMs = performance.now() - stoppedAt;
    await sleep(1000);
    const responses = await load.stop();
    const callsAfter = await fleetStoreCalls(servers);
    const during = responses.filter((r) => r.sentAt >= from + 500);
    await restore();
    const restoredAt = performance.now();
    await waitForStores(servers, isOnRedis);
    const backMs = performance.now() - restoredAt;
    windows.push({ name, from, to: Date.now() });
    const slowest = Math.max(...during.map((r) => r.ms));
    console.info(
      `${name}: all degraded ${switchMs.toFixed(0)} ms after the outage, back on Redis ${backMs.toFixed(0)} ms after it ended; ${responses.length} requests (${JSON.stringify(countStatuses(responses))}), slowest during the outage ${slowest.toFixed(0)} ms`,
    );
    expect(failures(responses), name).toEqual([]);
    // Never a speed check: a bound only a hung request could cross on any machine.
    expect(slowest, name).toBeLessThan(10_000);
    // No Redis call waited on the dead Redis past REDIS_TIMEOUT_MS + 250 ms (the design's bound
    // is 100 ms, unit-tested with an injected clock; this line is "it does not hang").
    const waits = callsAfter.map((after, i) => {
      const before = callsBefore[i] ?? { total: 0, over: 0, timeouts: 0 };
      return {
        calls: after.total - before.total,
        over: after.over - before.over,
        timeouts: after.timeouts - before.timeouts,
      };
    });
    console.info(`${name}: Redis calls per instance around the outage ${JSON.stringify(waits)}`);
    expect(
      waits.map((d) => d.over),
      `${name}: ${JSON.stringify(waits)}`,
    ).toEqual([0, 0, 0]);
    expect(
      waits.every((d) => d.calls > 0),
      name,
    ).toBe(true);
  }

  it('SIGSTOP under load: every instance switches, no request hangs or fails; SIGCONT: back to Redis by itself', async () => {
    await drill(
      'SIGSTOP/SIGCONT',
      81,
      async () => redis.pause(),
      async () => redis.resume(),
    );
  }, 120_000);

  it('kill under load: the same; restart: back to Redis by itself', async () => {
    await drill(
      'kill/restart',
      82,
      () => redis.kill(),
      () => redis.start(),
    );
    // The restarted Redis is empty: the instances rejoin the fleet within a heartbeat.
    await waitForFleetOnRedis(servers, FLEET);
  }, 120_000);

  it('Redis stopped: 1,000 concurrent wrong logins over the three reach the password check at most 7 times', async () => {
    const from = Date.now();
    await redis.kill();
    await waitForStores(servers, isDegraded);
    const attacker = new AttackClient('127.83.0.1', { maxSockets: 50 });
    try {
      const responses = await burst(attacker, servers, 1000, '/api/auth/login', (i) => ({
        email: 'fleet-outage-victim@example.com',
        password: `wrong guess ${i}`,
      }));
      const counts = countStatuses(responses);
      const logged = servers.flatMap((s) => s.errors());
      const context = `${JSON.stringify(counts)}; errors logged: ${logged.join('\n')}`;
      console.info(`Redis stopped, 1,000 wrong logins over ${FLEET} instances: ${context}`);
      expect(
        responses.filter((r) => r.status >= 500),
        context,
      ).toEqual([]);
      expect((counts[401] ?? 0) + (counts[429] ?? 0), context).toBe(1000);
      // Each instance allows ceil(5 / 3) = 2: the fleet at most 5 + 3 - 1.
      expect(counts[401] ?? 0, context).toBeLessThanOrEqual(7);
      expect(counts[401] ?? 0, context).toBeGreaterThan(0);
    } finally {
      attacker.close();
    }
    await redis.start();
    await waitForStores(servers, isOnRedis);
    windows.push({ name: 'stopped burst', from, to: Date.now() });
  }, 120_000);

  it('each switch wrote exactly one event per instance, and none outside the drills', async () => {
    // Graceful stop flushes every audit buffer, so the counts below are complete.
    expect(await stopServerProcesses(servers)).toEqual([0, 0, 0]);
    const degraded = await eventTimes(db.handle, 'detection_store_degraded');
    const recovered = await eventTimes(db.handle, 'detection_store_recovered');
    const inWindow = (times: number[], w: Window) =>
      times.filter((t) => t >= w.from && t <= w.to).length;
    const perDrill = windows.map((w) => ({
      name: w.name,
      degraded: inWindow(degraded, w),
      recovered: inWindow(recovered, w),
    }));
    expect(perDrill).toEqual(
      windows.map((w) => ({ name: w.name, degraded: FLEET, recovered: FLEET })),
    );
    expect(degraded).toHaveLength(FLEET * windows.length);
    expect(recovered).toHaveLength(FLEET * windows.length);
  }, 60_000);
});
