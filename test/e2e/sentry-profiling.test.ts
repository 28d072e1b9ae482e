import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase } from '../helpers/databases.ts';
import { startFakeSentry } from '../helpers/fake-sentry.ts';
import { startServiceProcess } from '../helpers/service-process.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Issue 9: SENTRY_PROFILES_SAMPLE_RATE turns on @sentry/profiling-node (a prebuilt native addon
// for Node 20 on linux-x64). The SDK is process-global, so the real start command runs in a
// child process and reports to a fake ingestion server.
describe('Sentry profiling', () => {
  it('with SENTRY_PROFILES_SAMPLE_RATE=1 a profile chunk reaches the ingestion server', async () => {
    const db = await openSqliteTestDatabase();
    cleanups.push(() => db.cleanup());
    const fake = await startFakeSentry();
    cleanups.push(() => fake.close());
    const service = await startServiceProcess({
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      SENTRY_DSN: fake.dsn,
      SENTRY_TRACES_SAMPLE_RATE: '1',
      SENTRY_PROFILES_SAMPLE_RATE: '1',
    });
    cleanups.push(() => service.stop());
    // Traced requests: the profiler runs while a sampled trace is open.
    for (let i = 0; i < 20; i += 1) {
      const response = await fetch(`${service.url}/openapi.json`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(await service.stop()).toBe(0); // shutdown flushes what is queued
    await fake.waitFor(() => fake.items('profile_chunk').length > 0, 30_000);
    const chunk = fake.items('profile_chunk')[0] as { platform?: string; profile?: unknown };
    expect(chunk.platform).toBe('node');
    expect(chunk.profile).toMatchObject({ samples: expect.any(Array), frames: expect.any(Array) });
    expect(service.logs.find((l) => l.msg === 'Sentry initialized')).toMatchObject({
      profilesSampleRate: 1,
    });
  }, 120_000);
});
