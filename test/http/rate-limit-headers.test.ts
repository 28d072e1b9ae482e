import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// express-rate-limit's draft-8 partition key: base64 of the first 12 hex digits of SHA-256.
const pk = (key: string) =>
  `:${Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64')}:`;

describe('IETF RateLimit headers (draft-8) on signup and login', () => {
  let db: TestDatabase;
  let service: TestService;
  const now = 1_700_000_000_000;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle, { clock: () => now });
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  const login = (ip: string, i: number) =>
    service.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip,
      payload: { email: 'someone@example.com', password: `wrong password ${i}` },
    });

  it('login: the brute_force quota counts down with each failure, then the block', async () => {
    const ip = '198.51.100.31';
    const seen: [number, string | undefined][] = [];
    for (let i = 1; i <= 6; i += 1) {
      const answer = await login(ip, i);
      expect(answer.headers['ratelimit-policy']).toBe(`"5-in-5min"; q=5; w=300; pk=${pk(ip)}`);
      seen.push([answer.statusCode, String(answer.headers.ratelimit)]);
    }
    expect(seen).toEqual([
      [401, '"5-in-5min"; r=4; t=300'],
      [401, '"5-in-5min"; r=3; t=300'],
      [401, '"5-in-5min"; r=2; t=300'],
      [401, '"5-in-5min"; r=1; t=300'],
      [401, '"5-in-5min"; r=0; t=3600'],
      [429, '"5-in-5min"; r=0; t=3600'],
    ]);
  });

  it('signup: the bot_activity quota, this request included', async () => {
    const ip = '198.51.100.32';
    const answer = await service.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      remoteAddress: ip,
      payload: { email: 'x' },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['ratelimit-policy']).toBe(`"50-in-1min"; q=50; w=60; pk=${pk(ip)}`);
    expect(answer.headers.ratelimit).toBe('"50-in-1min"; r=49; t=60');
  });

  it('token routes carry none', async () => {
    const answer = await service.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: 'nope' },
    });
    expect(answer.headers['ratelimit-policy']).toBeUndefined();
    expect(answer.headers.ratelimit).toBeUndefined();
  });
});
