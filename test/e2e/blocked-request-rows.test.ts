import { afterEach, expect, it } from 'vitest';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

forEachDialect((_dialect, open) => {
  let db: TestDatabase | undefined;
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.close();
    await db?.cleanup();
  });

  it('counts every refused login in the audit log, those of the blocking second included', async () => {
    db = await open();
    const now = 1_700_000_000_000;
    // A frozen clock: all twenty logins fall in the same millisecond.
    service = await createTestService(db.handle, { clock: () => now });
    const statuses: number[] = [];
    for (let i = 1; i <= 20; i += 1) {
      const answer = await service.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: '198.51.100.20',
        payload: { email: 'nobody@example.com', password: `wrong password ${i}` },
      });
      statuses.push(answer.statusCode);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // Closing flushes what the roll-up held back, then the audit buffer.
    await service.close();
    service = undefined;
    const rows = await db.handle.db
      .selectFrom('security_events')
      .select(['details'])
      .where('type', '=', 'blocked_request')
      .execute();
    const counts = rows.map((r) => Number((JSON.parse(r.details) as { count: unknown }).count));
    // The 5th failure blocks; the 6th..20th are 15 refusals, each counted exactly once.
    expect(counts.reduce((sum, c) => sum + c, 0)).toBe(15);
  });
});
