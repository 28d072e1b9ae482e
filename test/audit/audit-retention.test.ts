import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { deleteExpiredEvents } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { forEachDialect, openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService } from '../helpers/test-service.ts';

const DAY_MS = 86_400_000;
// A fake clock: the run's `now`; nothing here reads the wall clock.
const NOW = 1_800_000_000_000;

forEachDialect((_dialect, open) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.cleanup();
  });
  beforeEach(async () => {
    await db.handle.db.deleteFrom('security_events').execute();
  });

  async function insertAged(ageDays: number[]): Promise<void> {
    await db.handle.db
      .insertInto('security_events')
      .values(
        ageDays.map((age, i) => ({
          id: randomUUID(),
          created_at: NOW - age * DAY_MS + i,
          type: 'suspicious_user_agent',
          severity: 'low',
          ip: '192.0.2.1',
          user_id: null,
          user_agent: 'curl/8',
          rule: 'suspicious_user_agent',
          details: '{}',
          request_id: null,
        })),
      )
      .execute();
  }

  const ages = async () =>
    (await db.handle.db.selectFrom('security_events').select('created_at').execute())
      .map((r) => Math.round((NOW - Number(r.created_at)) / DAY_MS))
      .sort((a, b) => a - b);

  it('deletes only events older than the retention, in batches', async () => {
    await insertAged([1, 30, 89, 91, 100, 120, 200, 365, 400, 1000]);
    const deleted = await deleteExpiredEvents(db.handle, {
      now: NOW,
      retentionDays: 90,
      batchSize: 3,
    });
    expect(deleted).toBe(7);
    expect(await ages()).toEqual([1, 30, 89]);
    // A second run finds nothing more.
    expect(await deleteExpiredEvents(db.handle, { now: NOW, retentionDays: 90 })).toBe(0);
  });

  it('is safe with several instances: concurrent runs delete each old event exactly once', async () => {
    await insertAged([...Array.from({ length: 50 }, () => 95), 10, 20]);
    const runs = await Promise.all(
      [1, 2, 3].map(() =>
        deleteExpiredEvents(db.handle, { now: NOW, retentionDays: 90, batchSize: 7 }),
      ),
    );
    expect(runs.reduce((a, b) => a + b, 0)).toBe(50);
    expect(await ages()).toEqual([10, 20]);
  });

  it('follows the clock: the same event is kept today and deleted once it is old enough', async () => {
    await insertAged([80]);
    expect(await deleteExpiredEvents(db.handle, { now: NOW, retentionDays: 90 })).toBe(0);
    const later = NOW + 11 * DAY_MS;
    expect(await deleteExpiredEvents(db.handle, { now: later, retentionDays: 90 })).toBe(1);
  });
});

it('AUDIT_RETENTION_DAYS defaults to 90 and refuses a bad value with one line naming it', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) };
  const options = { cwd: process.cwd(), loadDevSecret: () => 'x'.repeat(40) };
  const ok = loadConfig(base, options);
  expect(ok.ok && ok.config.auditRetentionDays).toBe(90);
  const set = loadConfig({ ...base, AUDIT_RETENTION_DAYS: '30' }, options);
  expect(set.ok && set.config.auditRetentionDays).toBe(30);
  const bad = loadConfig({ ...base, AUDIT_RETENTION_DAYS: '0' }, options);
  expect(bad.ok).toBe(false);
  expect(bad.ok ? [] : bad.problems.filter((p) => p.includes('AUDIT_RETENTION_DAYS'))).toHaveLength(
    1,
  );
});

it('the running service applies AUDIT_RETENTION_DAYS on the cleanup schedule', async () => {
  const db = await openSqliteTestDatabase();
  const service = await createTestService(db.handle, {
    env: { AUDIT_RETENTION_DAYS: '30', TOKEN_CLEANUP_INTERVAL_MS: '1000' },
  });
  try {
    const now = Date.now();
    const row = (id: string, ageDays: number) => ({
      id,
      created_at: now - ageDays * DAY_MS,
      type: 'suspicious_user_agent',
      severity: 'low' as const,
      ip: null,
      user_id: null,
      user_agent: null,
      rule: null,
      details: '{}',
      request_id: null,
    });
    await db.handle.db
      .insertInto('security_events')
      .values([row(randomUUID(), 31), row('kept', 29)])
      .execute();
    const ids = async () =>
      (await db.handle.db.selectFrom('security_events').select('id').execute()).map((r) => r.id);
    // A generous bound for a 1 s schedule on a busy machine; nothing here measures speed.
    const deadline = Date.now() + 20_000;
    while ((await ids()).length > 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await ids()).toEqual(['kept']);
  } finally {
    await service.close();
    await db.cleanup();
  }
});
