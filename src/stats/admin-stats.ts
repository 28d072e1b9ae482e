import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.ts';
import type { SecurityEventType } from '../events/index.ts';

/** Bucket widths `GET /api/admin/stats` accepts, in ms. */
export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** A bucket width name. */
export type BucketName = keyof typeof BUCKET_MS;

/** Most buckets one stats query may span (a week of minutes is refused; a year of days is not). */
export const MAX_BUCKETS = 1500;

/** Event types counted as blocks: a rule or an operator blocked an IP. */
export const BLOCK_EVENT_TYPES: readonly SecurityEventType[] = [
  'brute_force',
  'bot_activity',
  'ip_blocked_manually',
];

/** Event types counted as throttles: an account limited for unknown IPs. */
export const THROTTLE_EVENT_TYPES: readonly SecurityEventType[] = ['account_guard'];

/** One bucket of the stats; `start` is ISO 8601 (UTC, aligned on the bucket width). */
export interface StatsBucket {
  readonly start: string;
  readonly failedLogins: number;
  readonly blocks: number;
  readonly throttles: number;
  readonly alerts: number;
}

/** A validated stats window: `[fromMs, toMs)` in epoch ms. */
export interface StatsWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly bucket: BucketName;
}

// The width is written into the SQL as a literal (it is one of BUCKET_MS, never user text): as a
// bound parameter PostgreSQL would see the SELECT and GROUP BY expressions as different.

/**
 * Counts per bucket over `[fromMs, toMs)`, computed in SQL (integer division of the epoch ms
 * column, the same text on PostgreSQL and SQLite). Every bucket of the window is returned, empty
 * ones with zeros. The caller has checked the window (see `checkStatsWindow`).
 */
export async function queryStats(
  db: Kysely<Database>,
  window: StatsWindow,
): Promise<StatsBucket[]> {
  const width = BUCKET_MS[window.bucket];
  const first = Math.floor(window.fromMs / width) * width;
  const rows = new Map<
    number,
    { failedLogins: number; blocks: number; throttles: number; alerts: number }
  >();
  for (let at = first; at < window.toMs; at += width) {
    rows.set(at, { failedLogins: 0, blocks: 0, throttles: 0, alerts: 0 });
  }
  const [failures, events, alerts] = await Promise.all([
    countFailedLogins(db, window, width),
    countBlockEvents(db, window, width),
    countAlerts(db, window, width),
  ]);
  for (const row of failures) addTo(rows, row.bucket, { failedLogins: Number(row.n) });
  for (const row of events)
    addTo(rows, row.bucket, { blocks: Number(row.blocks), throttles: Number(row.throttles) });
  for (const row of alerts) addTo(rows, row.bucket, { alerts: Number(row.n) });
  return [...rows].map(([at, counts]) => ({ start: new Date(at).toISOString(), ...counts }));
}

type Counts = { failedLogins: number; blocks: number; throttles: number; alerts: number };

function addTo(rows: Map<number, Counts>, bucket: unknown, counts: Partial<Counts>): void {
  const row = rows.get(Number(bucket));
  if (!row) return;
  for (const [key, value] of Object.entries(counts) as [keyof Counts, number][]) row[key] += value;
}

function countFailedLogins(db: Kysely<Database>, window: StatsWindow, width: number) {
  const bucket = sql<string>`(occurred_at / ${sql.lit(width)}) * ${sql.lit(width)}`;
  return db
    .selectFrom('login_outcomes')
    .select([bucket.as('bucket'), (eb) => eb.fn.countAll<string>().as('n')])
    .where('outcome', '=', 'failure')
    .where('occurred_at', '>=', window.fromMs)
    .where('occurred_at', '<', window.toMs)
    .groupBy(bucket)
    .execute();
}

function countBlockEvents(db: Kysely<Database>, window: StatsWindow, width: number) {
  const bucket = sql<string>`(created_at / ${sql.lit(width)}) * ${sql.lit(width)}`;
  const isThrottle = sql<string>`sum(case when type in (${sql.join(THROTTLE_EVENT_TYPES)}) then 1 else 0 end)`;
  return db
    .selectFrom('security_events')
    .select([
      bucket.as('bucket'),
      sql<string>`sum(case when type in (${sql.join(BLOCK_EVENT_TYPES)}) then 1 else 0 end)`.as(
        'blocks',
      ),
      isThrottle.as('throttles'),
    ])
    .where('type', 'in', [...BLOCK_EVENT_TYPES, ...THROTTLE_EVENT_TYPES])
    .where('created_at', '>=', window.fromMs)
    .where('created_at', '<', window.toMs)
    .groupBy(bucket)
    .execute();
}

function countAlerts(db: Kysely<Database>, window: StatsWindow, width: number) {
  const bucket = sql<string>`(created_at / ${sql.lit(width)}) * ${sql.lit(width)}`;
  return db
    .selectFrom('alerts')
    .select([bucket.as('bucket'), (eb) => eb.fn.countAll<string>().as('n')])
    .where('created_at', '>=', window.fromMs)
    .where('created_at', '<', window.toMs)
    .groupBy(bucket)
    .execute();
}

/**
 * Checks raw query values; returns the window or the problem (one sentence naming the field).
 * `from` and `to` are ISO 8601 times, `from` before `to`, at most `MAX_BUCKETS` buckets.
 */
export function checkStatsWindow(query: {
  from: string;
  to: string;
  bucket: string;
}): { ok: true; window: StatsWindow } | { ok: false; field: string; problem: string } {
  const fromMs = Date.parse(query.from);
  if (Number.isNaN(fromMs))
    return { ok: false, field: 'from', problem: 'Invalid field "from": expected an ISO 8601 time' };
  const toMs = Date.parse(query.to);
  if (Number.isNaN(toMs))
    return { ok: false, field: 'to', problem: 'Invalid field "to": expected an ISO 8601 time' };
  if (toMs <= fromMs)
    return { ok: false, field: 'to', problem: 'Invalid field "to": must be after "from"' };
  if (!Object.hasOwn(BUCKET_MS, query.bucket))
    return {
      ok: false,
      field: 'bucket',
      problem: 'Invalid field "bucket": expected minute, hour or day',
    };
  const bucket = query.bucket as BucketName;
  const count = Math.ceil(
    (toMs - Math.floor(fromMs / BUCKET_MS[bucket]) * BUCKET_MS[bucket]) / BUCKET_MS[bucket],
  );
  if (count > MAX_BUCKETS)
    return {
      ok: false,
      field: 'bucket',
      problem: `Invalid field "bucket": ${count} ${bucket} buckets asked, at most ${MAX_BUCKETS}; use a wider bucket or a shorter window`,
    };
  return { ok: true, window: { fromMs, toMs, bucket } };
}
