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
    // Traced requests: the profiler runs while a sampled trace is open, and a chunk needs at
    // least two samples, so the traces overlap: concurrent signups (each hashes a password).
    const statuses = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const response = await fetch(`${service.url}/api/auth/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            email: `profiled-${i}@example.com`,
            password: `Xq7!vR2#mLp9-${i}-wZt4&nB8`,
            name: `Profiled ${i}`,
          }),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(16);
    // A chunk goes out when profiling stops (no span open) or at the SDK's 60 s chunk interval,
    // whichever comes first (the service's own spans, e.g. pool connections, can keep it open).
    await fake.waitFor(() => fake.items('profile_chunk').length > 0, 90_000);
    expect(await service.stop()).toBe(0);
    const chunk = fake.items('profile_chunk')[0] as { platform?: string; profile?: unknown };
    expect(chunk.platform).toBe('node');
    expect(chunk.profile).toMatchObject({ samples: expect.any(Array), frames: expect.any(Array) });
    expect(service.logs.find((l) => l.msg === 'Sentry initialized')).toMatchObject({
      profilesSampleRate: 1,
    });
  }, 180_000);
});
