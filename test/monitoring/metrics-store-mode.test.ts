import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { createLogger } from '../../src/monitoring/logger.ts';
import { freePort, RedisServerProcess } from '../helpers/attack-redis-server.ts';
import { IS_CI, sleep, uniquePrefix } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type Scrape, scrapeMetrics } from '../helpers/metrics-scrape.ts';
import { testConfig } from '../helpers/test-service.ts';

const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
const missing = version.status === 0 ? null : 'redis-server not on PATH';
const suite = missing !== null && !IS_CI ? describe.skip : describe;

/** Scrapes until the store-mode gauge says `mode` (bounded: 10 s). */
async function waitForMode(url: string, mode: 'redis' | 'memory'): Promise<Scrape> {
  let scrape = await scrapeMetrics(url);
  for (let i = 0; i < 200; i += 1) {
    if (scrape.value('flux_auth_detection_store_mode', { mode }) === 1) return scrape;
    await sleep(50);
    scrape = await scrapeMetrics(url);
  }
  return scrape;
}

// A redis-server of the test's own: stopping the shared one would break every other test.
suite(`store-mode gauge follows Redis${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let db: TestDatabase;
  let redis: RedisServerProcess;
  let running: RunningService;
  let metricsUrl: string;

  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}; CI must provide it`);
    db = await openSqliteTestDatabase();
    redis = new RedisServerProcess(await freePort());
    await redis.start();
    running = await startService(
      testConfig({ REDIS_URL: redis.url, METRICS_PORT: '0' }),
      createLogger('silent'),
      { database: db.handle, redisKeyPrefix: uniquePrefix(), redisProbeIntervalMs: 100 },
    );
    metricsUrl = running.metricsUrl ?? '';
  });

  afterAll(async () => {
    await running?.stop();
    await redis?.kill();
    await db?.cleanup();
  });

  it('flips to memory when Redis stops and back to redis when it returns', async () => {
    const healthy = await waitForMode(metricsUrl, 'redis');
    expect(healthy.value('flux_auth_detection_store_mode', { mode: 'redis' })).toBe(1);
    expect(healthy.value('flux_auth_detection_store_mode', { mode: 'memory' })).toBe(0);

    await redis.kill();
    const degraded = await waitForMode(metricsUrl, 'memory');
    expect(degraded.value('flux_auth_detection_store_mode', { mode: 'memory' })).toBe(1);
    expect(degraded.value('flux_auth_detection_store_mode', { mode: 'redis' })).toBe(0);

    await redis.start();
    const back = await waitForMode(metricsUrl, 'redis');
    expect(back.value('flux_auth_detection_store_mode', { mode: 'redis' })).toBe(1);
    expect(back.value('flux_auth_detection_store_mode', { mode: 'memory' })).toBe(0);
  });
});
