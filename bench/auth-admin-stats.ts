// `GET /api/admin/stats` over 1,000,000 recorded events (and as many login outcomes): the
// dashboard's 24 h and 7 d queries, each as a ratio to plain counts of the same rows (one
// count(*) per table with the same filters and window, no buckets) measured in the same run,
// with the absolute time. Target: < 200 ms.
import {
  BLOCK_EVENT_TYPES,
  queryStats,
  type StatsWindow,
  THROTTLE_EVENT_TYPES,
} from '../src/stats/index.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, percentile } from './lib/stats.ts';
import {
  type BenchDatabase,
  fillStatsTables,
  openPostgresBench,
  openSqliteBench,
} from './lib/stats-fixture.ts';

const HOUR_MS = 3_600_000;
const SPAN_MS = 7 * 24 * HOUR_MS;
const TARGET_MS = 200;

async function timeMs(fn: () => Promise<unknown>, rounds: number): Promise<number> {
  const samples: number[] = [];
  await fn();
  for (let i = 0; i < rounds; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return percentile(samples, 50);
}

async function plainCounts(bench: BenchDatabase, window: StatsWindow): Promise<void> {
  const db = bench.handle.db;
  await Promise.all([
    db
      .selectFrom('security_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('type', 'in', [...BLOCK_EVENT_TYPES, ...THROTTLE_EVENT_TYPES])
      .where('created_at', '>=', window.fromMs)
      .where('created_at', '<', window.toMs)
      .execute(),
    db
      .selectFrom('login_outcomes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('outcome', '=', 'failure')
      .where('occurred_at', '>=', window.fromMs)
      .where('occurred_at', '<', window.toMs)
      .execute(),
    db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('created_at', '>=', window.fromMs)
      .where('created_at', '<', window.toMs)
      .execute(),
  ]);
}

async function benchOne(bench: BenchDatabase, count: number, rounds: number): Promise<string[]> {
  const start = Date.UTC(2026, 0, 1);
  const filled = performance.now();
  await fillStatsTables(bench, count, start, SPAN_MS);
  const lines = [
    `  ${bench.name}: ${count} events + ${count} login outcomes + ${count / 100} alerts over 7 d (filled in ${fmt((performance.now() - filled) / 1000)} s)`,
  ];
  const end = start + SPAN_MS;
  for (const [label, window] of [
    ['24 h, hour buckets', { fromMs: end - 24 * HOUR_MS, toMs: end, bucket: 'hour' }],
    ['7 d, hour buckets', { fromMs: start, toMs: end, bucket: 'hour' }],
    ['7 d, day buckets', { fromMs: start, toMs: end, bucket: 'day' }],
  ] as const) {
    const statsMs = await timeMs(() => queryStats(bench.handle.db, window), rounds);
    const countMs = await timeMs(() => plainCounts(bench, window), rounds);
    const verdict = statsMs < TARGET_MS ? 'ok' : 'MISSED';
    lines.push(
      `    ${label}: stats ${fmt(statsMs)} ms, plain count ${fmt(countMs)} ms, ratio ${fmt(statsMs / countMs, 2)}x; target < ${TARGET_MS} ms: ${verdict}`,
    );
  }
  return lines;
}

/** The stats query on SQLite and (when reachable) PostgreSQL; lines to print. */
export async function runAdminStatsBench(): Promise<string[]> {
  const count = envNumber('BENCH_STATS_EVENTS', 1_000_000);
  const rounds = envNumber('BENCH_STATS_ROUNDS', 7);
  const lines: string[] = [];
  const sqlite = await openSqliteBench();
  try {
    lines.push(...(await benchOne(sqlite, count, rounds)));
  } finally {
    await sqlite.cleanup();
  }
  const url = process.env.DATABASE_URL_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  let postgres: BenchDatabase;
  try {
    postgres = await openPostgresBench(url);
  } catch (error) {
    lines.push(`  postgres: skipped (${url} unreachable: ${String(error)})`);
    return lines;
  }
  try {
    lines.push(...(await benchOne(postgres, count, rounds)));
  } finally {
    await postgres.cleanup();
  }
  return lines;
}
