import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '../../src/db/index.ts';

/** A migrated bench database and how to throw it away. */
export interface BenchDatabase {
  readonly name: 'sqlite' | 'postgres';
  readonly handle: DatabaseHandle;
  cleanup(): Promise<void>;
}

/** A migrated SQLite database in a temp file. */
export async function openSqliteBench(): Promise<BenchDatabase> {
  const path = join(tmpdir(), `flux-bench-stats-${randomBytes(6).toString('hex')}.db`);
  const handle = createDatabase({ url: `sqlite:${path}` });
  await migrateToLatest(handle.db as unknown as Kysely<unknown>);
  return {
    name: 'sqlite',
    handle,
    cleanup: async () => {
      await handle.destroy();
      for (const suffix of ['', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true });
    },
  };
}

/** A migrated PostgreSQL schema of its own on `url` (dropped on cleanup). */
export async function openPostgresBench(url: string): Promise<BenchDatabase> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
    // Kysely's migrator finds its tables in any schema: give this one its own.
    await admin.query(
      `create table ${schema}.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)`,
    );
    await admin.query(
      `create table ${schema}.kysely_migration_lock (id varchar(255) primary key, is_locked integer not null default 0)`,
    );
  } finally {
    await admin.end();
  }
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const handle = createDatabase({ url: scoped.toString(), poolSize: 4 });
  await migrateToLatest(handle.db as unknown as Kysely<unknown>);
  return {
    name: 'postgres',
    handle,
    cleanup: async () => {
      await handle.destroy();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Fills the tables the stats read, in SQL (no million round trips): `count` security events
 * and as many login outcomes spread evenly over `[startMs, startMs + spanMs)`, one event in 20
 * each of brute_force, bot_activity, ip_blocked_manually and account_guard, the rest noise
 * (blocked_request, suspicious_user_agent), one failure in three outcomes, and `count / 100` alerts.
 */
export async function fillStatsTables(
  bench: BenchDatabase,
  count: number,
  startMs: number,
  spanMs: number,
): Promise<void> {
  const db = bench.handle.db;
  const series =
    bench.name === 'postgres'
      ? sql`select i from generate_series(1, ${sql.lit(count)}) as s(i)`
      : sql`with recursive r(i) as (select 1 union all select i + 1 from r where i < ${sql.lit(count)}) select i from r`;
  const at = sql`${sql.lit(startMs)} + (i * ${sql.lit(Math.floor(spanMs / count))})`;
  const type = sql`case i % 20 when 0 then 'brute_force' when 1 then 'bot_activity'
    when 2 then 'ip_blocked_manually' when 3 then 'account_guard'
    when 4 then 'suspicious_user_agent' else 'blocked_request' end`;
  await sql`insert into security_events (id, created_at, type, severity, ip, details)
    select cast(i as varchar(36)), ${at}, ${type}, 'low',
      '10.' || cast(i % 200 as varchar(8)) || '.' || cast(i % 7 as varchar(8)) || '.1', '{}'
    from (${series}) as s`.execute(db);
  await sql`insert into login_outcomes (occurred_at, client_key, account_key, outcome)
    select ${at}, '10.0.' || cast(i % 200 as varchar(8)) || '.1', cast(i % 5000 as varchar(32)),
      case i % 3 when 0 then 'failure' else 'success' end
    from (${series}) as s`.execute(db);
  await sql`insert into alerts (id, created_at, channel, kind, rule, severity, event_count, outcome, details)
    select cast(i as varchar(36)), ${at}, 'webhook', 'first', 'brute_force', 'high', 1, 'sent', '{}'
    from (${series}) as s where i % 100 = 0`.execute(db);
  // Fresh statistics and (PostgreSQL) a visibility map, as autovacuum keeps them on a running
  // database: the planner picks the indexes and can answer from them alone.
  await sql.raw(bench.name === 'postgres' ? 'vacuum analyze' : 'analyze').execute(db);
}
