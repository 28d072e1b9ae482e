import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStatsWindow, MAX_BUCKETS, queryOverview, queryStats } from '../../src/stats/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-02-10T00:00:00Z');

forEachDialect((_dialect, open) => {
  let db: TestDatabase;

  const event = (type: string, at: number, ip = '203.0.113.5') => ({
    id: randomUUID(),
    created_at: at,
    type,
    severity: 'high' as const,
    ip,
    user_id: null,
    user_agent: null,
    rule: type,
    details: '{}',
    request_id: null,
  });

  beforeAll(async () => {
    db = await open();
    const k = db.handle.db;
    await k
      .insertInto('login_outcomes')
      .values([
        { occurred_at: T0 + 10, client_key: '203.0.113.5', account_key: 'a1', outcome: 'failure' },
        {
          occurred_at: T0 + HOUR - 1,
          client_key: '203.0.113.5',
          account_key: 'a1',
          outcome: 'failure',
        },
        {
          occurred_at: T0 + HOUR,
          client_key: '203.0.113.6',
          account_key: 'a2',
          outcome: 'failure',
        },
        {
          occurred_at: T0 + HOUR + 5,
          client_key: '203.0.113.6',
          account_key: 'a2',
          outcome: 'success',
        },
        {
          occurred_at: T0 + 3 * HOUR,
          client_key: '203.0.113.6',
          account_key: 'a2',
          outcome: 'failure',
        },
      ])
      .execute();
    await k
      .insertInto('security_events')
      .values([
        event('brute_force', T0 + 100),
        event('ip_blocked_manually', T0 + HOUR + 1),
        event('bot_activity', T0 + 2 * HOUR),
        event('account_guard', T0 + 2 * HOUR + 7),
        event('suspicious_user_agent', T0 + 2 * HOUR + 8, '203.0.113.9'),
        event('brute_force', T0 - 1),
      ])
      .execute();
    await k
      .insertInto('alerts')
      .values({
        id: randomUUID(),
        created_at: T0 + 2 * HOUR + 9,
        channel: 'webhook',
        kind: 'first',
        rule: 'brute_force',
        severity: 'high',
        event_count: 1,
        outcome: 'sent',
        details: '{}',
      })
      .execute();
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  describe('queryStats', () => {
    it('counts failed logins, blocks, throttles and alerts per hour bucket in SQL', async () => {
      const buckets = await queryStats(db.handle.db, {
        fromMs: T0,
        toMs: T0 + 4 * HOUR,
        bucket: 'hour',
      });
      expect(buckets).toEqual([
        { start: '2026-02-10T00:00:00.000Z', failedLogins: 2, blocks: 1, throttles: 0, alerts: 0 },
        { start: '2026-02-10T01:00:00.000Z', failedLogins: 1, blocks: 1, throttles: 0, alerts: 0 },
        { start: '2026-02-10T02:00:00.000Z', failedLogins: 0, blocks: 1, throttles: 1, alerts: 1 },
        { start: '2026-02-10T03:00:00.000Z', failedLogins: 1, blocks: 0, throttles: 0, alerts: 0 },
      ]);
    });

    it('counts only inside the window when it starts or ends inside a bucket', async () => {
      const buckets = await queryStats(db.handle.db, {
        fromMs: T0 + HOUR / 2,
        toMs: T0 + HOUR + HOUR / 2,
        bucket: 'hour',
      });
      expect(buckets).toEqual([
        { start: '2026-02-10T00:00:00.000Z', failedLogins: 1, blocks: 0, throttles: 0, alerts: 0 },
        { start: '2026-02-10T01:00:00.000Z', failedLogins: 1, blocks: 1, throttles: 0, alerts: 0 },
      ]);
    });

    it('puts everything of a day in one day bucket, and nothing outside the window', async () => {
      const buckets = await queryStats(db.handle.db, {
        fromMs: T0,
        toMs: T0 + 24 * HOUR,
        bucket: 'day',
      });
      expect(buckets).toEqual([
        { start: '2026-02-10T00:00:00.000Z', failedLogins: 4, blocks: 3, throttles: 1, alerts: 1 },
      ]);
    });
  });

  it('answers a window near 1970 (bucket starts typed as 64-bit, no integer overflow)', async () => {
    const buckets = await queryStats(db.handle.db, {
      fromMs: Date.parse('1970-01-01T00:00:00Z'),
      toMs: Date.parse('1970-03-01T00:00:00Z'),
      bucket: 'day',
    });
    expect(buckets).toHaveLength(59);
    expect(buckets.every((b) => b.failedLogins === 0 && b.blocks === 0)).toBe(true);
  });

  it('queryOverview ranks IPs by events and accounts by failed logins', async () => {
    const overview = await queryOverview(db.handle.db, T0);
    expect(overview.topIps[0]).toEqual({ ip: '203.0.113.5', events: 4 });
    expect(overview.topIps[1]).toEqual({ ip: '203.0.113.9', events: 1 });
    expect(overview.topAccounts).toHaveLength(2);
    expect(overview.topAccounts).toEqual(
      expect.arrayContaining([
        { accountKey: 'a1', failedLogins: 2 },
        { accountKey: 'a2', failedLogins: 2 },
      ]),
    );
    expect(overview.alerts).toMatchObject({ sent: 1, failed: 0, dropped: 0 });
    expect(overview.alerts.latest[0]).toMatchObject({ rule: 'brute_force', outcome: 'sent' });
  });
});

describe('checkStatsWindow', () => {
  const base = { from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z', bucket: 'hour' };
  it('accepts a valid window', () => {
    expect(checkStatsWindow(base)).toEqual({
      ok: true,
      window: { fromMs: T0, toMs: T0 + 24 * HOUR, bucket: 'hour' },
    });
  });
  it.each([
    [{ ...base, from: 'yesterday' }, 'from'],
    [{ ...base, to: '2026-13-45' }, 'to'],
    [{ ...base, to: base.from }, 'to'],
    [{ ...base, bucket: 'week' }, 'bucket'],
    [{ ...base, to: '2026-12-10T00:00:00Z', bucket: 'minute' }, 'bucket'],
  ])('refuses %o naming %s', (query, field) => {
    const result = checkStatsWindow(query);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.problem).toContain(`"${field}"`);
    }
  });
  it(`caps the bucket count at ${MAX_BUCKETS}`, () => {
    const to = new Date(T0 + MAX_BUCKETS * 60_000).toISOString();
    expect(checkStatsWindow({ ...base, to, bucket: 'minute' }).ok).toBe(true);
    const over = new Date(T0 + (MAX_BUCKETS + 1) * 60_000).toISOString();
    expect(checkStatsWindow({ ...base, to: over, bucket: 'minute' }).ok).toBe(false);
  });
});
