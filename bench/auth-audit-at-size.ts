import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  DEFAULT_RETENTION_BATCH_SIZE,
  deleteExpiredEvents,
  listEvents,
} from '../src/audit/index.ts';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '../src/db/index.ts';
import { EVENT_TYPES } from '../src/events/index.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, percentile } from './lib/stats.ts';

/** p99 of one admin events query (one filter, one page), milliseconds. */
export const EVENTS_QUERY_P99_TARGET_MS = 50;

const DAY_MS = 86_400_000;
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
const TYPES = Object.keys(EVENT_TYPES);

/** `count` events over the last 120 days (so a 90-day retention has a quarter to delete). */
async function fill(handle: DatabaseHandle, count: number, now: number): Promise<void> {
  const batch = 1000;
  for (let done = 0; done < count; done += batch) {
    const rows = Array.from({ length: Math.min(batch, count - done) }, (_, i) => {
      const n = done + i;
      return {
        id: randomUUID(),
        created_at: now - Math.floor((n / count) * 120 * DAY_MS),
        type: TYPES[n % TYPES.length] as string,
        severity: SEVERITIES[(n * 7) % SEVERITIES.length] ?? 'low',
        ip: `10.0.${(n >> 8) % 40}.${n % 250}`,
        user_id: null,
        user_agent: 'Mozilla/5.0 bench',
        rule: 'bench',
        details: '{"count":1}',
        request_id: null,
      };
    });
    await handle.db.insertInto('security_events').values(rows).execute();
  }
}

/** p99 and max of `pages` consecutive pages of `filter`, repeated `repeats` times. */
async function measureQuery(
  handle: DatabaseHandle,
  filter: Record<string, unknown>,
  pages: number,
  repeats: number,
): Promise<{ p99: number; max: number; samples: number }> {
  const samples: number[] = [];
  for (let r = 0; r < repeats; r += 1) {
    let cursor: string | undefined;
    for (let p = 0; p < pages; p += 1) {
      const started = performance.now();
      const page = await listEvents(handle.db, {
        ...filter,
        limit: 50,
        ...(cursor ? { cursor } : {}),
      });
      samples.push(performance.now() - started);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
  }
  return { p99: percentile(samples, 99), max: Math.max(...samples), samples: samples.length };
}

async function benchDialect(name: string, handle: DatabaseHandle, lines: string[]): Promise<void> {
  const count = Math.round(envNumber('BENCH_AUDIT_EVENTS', 1_000_000));
  const now = Date.now();
  await handle.db.deleteFrom('security_events').execute();
  const filled = performance.now();
  await fill(handle, count, now);
  lines.push(
    `${name}: ${count} events written in ${fmt((performance.now() - filled) / 1000, 1)} s`,
  );
  // Planner statistics as autovacuum (PostgreSQL) or a periodic ANALYZE would have them.
  await sql`analyze security_events`.execute(handle.db);
  const filters: Array<[string, Record<string, unknown>]> = [
    ['no filter', {}],
    ['type', { type: 'brute_force' }],
    ['severity', { severity: 'critical' }],
    ['ip', { ip: '10.0.7.42' }],
    ['since 24 h', { since: now - DAY_MS }],
    ['type + ip', { type: 'bot_activity', ip: '10.0.3.17' }],
  ];
  for (const [label, filter] of filters) {
    const m = await measureQuery(handle, filter, 5, 20);
    const ok = m.p99 < EVENTS_QUERY_P99_TARGET_MS ? 'OK' : 'MISSED';
    lines.push(
      `  events query, ${label}, pages 1-5: p99 ${fmt(m.p99, 1)} ms, max ${fmt(m.max, 1)} ms over ${m.samples} (target < ${EVENTS_QUERY_P99_TARGET_MS} ms) ${ok}`,
    );
  }
  const started = performance.now();
  const deleted = await deleteExpiredEvents(handle, { now, retentionDays: 90 });
  const seconds = (performance.now() - started) / 1000;
  const batches = Math.ceil(deleted / DEFAULT_RETENTION_BATCH_SIZE);
  lines.push(
    `  retention (90 days): ${deleted} deleted in ${fmt(seconds, 1)} s, ${batches} batches of ${DEFAULT_RETENTION_BATCH_SIZE}, ${fmt((seconds * 1000) / Math.max(1, batches), 1)} ms per batch`,
  );
  await handle.db.deleteFrom('security_events').execute();
}

/**
 * The audit log at size: 1,000,000 security events on SQLite and on PostgreSQL
 * (`DATABASE_URL_PG`, its security_events emptied before and after), the admin events query
 * per filter and page, and the 90-day retention's time.
 */
export async function runAuditAtSizeBench(): Promise<string[]> {
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'flux-audit-bench-'));
  const sqlite = createDatabase({ url: `sqlite:${join(dir, 'audit.db')}` });
  try {
    await migrateToLatest(sqlite.db);
    await benchDialect('sqlite', sqlite, lines);
  } finally {
    await sqlite.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const pgUrl = process.env.DATABASE_URL_PG;
  if (pgUrl === undefined) {
    lines.push('postgres: skipped (DATABASE_URL_PG not set)');
    return lines;
  }
  const pg = createDatabase({ url: pgUrl });
  try {
    await migrateToLatest(pg.db);
    await benchDialect('postgres', pg, lines);
  } finally {
    await pg.destroy();
  }
  return lines;
}
