import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { describe } from 'vitest';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '../../src/db/index.ts';

/** The dialects every database test runs on. */
export type DialectName = 'sqlite' | 'postgres';

/** A migrated database private to one test (or file), and how to throw it away. */
export interface TestDatabase {
  readonly handle: DatabaseHandle;
  /** `DATABASE_URL` of this database, for a child process (`sqlite:<file>` or a schema URL). */
  readonly url: string;
  /** Destroys the handle and drops the schema (PostgreSQL) or file (SQLite). */
  cleanup(): Promise<void>;
}

/** Opens a fresh migrated database of the dialect; each call is isolated from the others. */
export type OpenTestDatabase = () => Promise<TestDatabase>;

/** PostgreSQL used by tests: `DATABASE_URL_PG`, else a local server with database `test`. */
export const POSTGRES_TEST_URL =
  process.env.DATABASE_URL_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

const IS_CI = process.env.CI === 'true';

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({
    connectionString: POSTGRES_TEST_URL,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresUnreachable = await probePostgres();

// migrateToLatest takes Kysely<unknown>, which Kysely<Database> is not assignable to.
function migrate(handle: DatabaseHandle): Promise<string[]> {
  return migrateToLatest(handle.db as unknown as Kysely<unknown>);
}

/** Opens a migrated SQLite database in a temp file (WAL, like production). */
export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const path = join(tmpdir(), `flux-auth-test-${randomBytes(6).toString('hex')}.db`);
  const handle = createDatabase({ url: `sqlite:${path}` });
  await migrate(handle);
  return {
    handle,
    url: `sqlite:${path}`,
    cleanup: async () => {
      await handle.destroy();
      await Promise.all(
        ['', '-wal', '-shm'].map((suffix) => rm(`${path}${suffix}`, { force: true })),
      );
    },
  };
}

/** Opens a migrated PostgreSQL database in a fresh schema `t_<random>` (dropped on cleanup). */
export async function openPostgresTestDatabase(): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
    // Kysely's Migrator (no migrationTableSchema) looks for its tables in *any* schema and
    // then queries them unqualified; creating them here keeps parallel schemas apart.
    await admin.query(
      `create table ${schema}.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)`,
    );
    await admin.query(
      `create table ${schema}.kysely_migration_lock (id varchar(255) primary key, is_locked integer not null default 0)`,
    );
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const handle = createDatabase({ url: url.toString(), poolSize: 5 });
  await migrate(handle);
  return {
    handle,
    url: url.toString(),
    cleanup: async () => {
      await handle.destroy();
      const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
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
 * Declares the suite once per dialect (`describe('sqlite' | 'postgres')`). PostgreSQL is
 * skipped with the reason when unreachable, except under CI=true, where its tests fail.
 */
export function forEachDialect(suite: (name: DialectName, open: OpenTestDatabase) => void): void {
  describe('sqlite', () => suite('sqlite', openSqliteTestDatabase));
  if (postgresUnreachable !== null && !IS_CI) {
    describe.skip(`postgres (skipped: ${POSTGRES_TEST_URL} unreachable: ${postgresUnreachable})`, () =>
      suite('postgres', openPostgresTestDatabase));
    return;
  }
  describe('postgres', () => suite('postgres', openPostgresTestDatabase));
}
