import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { isConnectionError } from './connection-errors.ts';
import { DatabaseAvailability, type RecoveryInfo } from './database-availability.ts';
import { withAvailability } from './guarded-dialect.ts';
import type { Database } from './types.ts';

/** A database handle plus what it is, for the few places (readiness, doctor) that care. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Cheap round trip; throws when the database is unreachable. */
  ping(): Promise<void>;
  /** False while a database outage is confirmed (PostgreSQL); always true for SQLite. */
  isAvailable(): boolean;
  destroy(): Promise<void>;
}

/** Options for opening the database. `url` is `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize?: number;
  /** Milliseconds to wait for a PostgreSQL connection before failing. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds between probes while PostgreSQL is down. */
  readonly probeIntervalMs?: number;
  /** Called once per PostgreSQL outage, when it is confirmed. */
  readonly onUnavailable?: (error: unknown) => void;
  /** Called once when PostgreSQL answers again after an outage. */
  readonly onRecovered?: (info: RecoveryInfo) => void;
}

/**
 * Default wait for a PostgreSQL connection (ms): long enough for a busy server, short enough
 * that a request during a network partition is answered 503 before the client gives up.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

const INT8_OID = 20;

/** Opens SQLite (WAL) or PostgreSQL from a URL. Throws on an unsupported scheme. */
export function createDatabase(options: DatabaseOptions): DatabaseHandle {
  const { url } = options;
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgres(url, options);
  }
  throw new Error('unsupported database URL scheme (use sqlite: or postgres://)');
}

function openSqlite(path: string): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return {
    db,
    dialect: 'sqlite',
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    isAvailable: () => true,
    destroy: () => db.destroy(),
  };
}

/** Prepared statements kept per SQL text; the service issues a few dozen distinct ones. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver calls `prepare` for every query; better-sqlite3 compiles the SQL each
 * time. This hands Kysely a view of the database whose `prepare` reuses the statement compiled
 * for the same SQL text (least recently used beyond `size` are dropped). Reuse is safe: Kysely
 * runs one query at a time on its single connection, and SQLite re-prepares a statement by
 * itself after a schema change.
 */
export function withStatementCache(
  sqlite: SQLite.Database,
  size: number = STATEMENT_CACHE_SIZE,
): Pick<SQLite.Database, 'prepare' | 'close'> {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(source: string) {
      let statement = cache.get(source);
      if (statement === undefined) {
        statement = sqlite.prepare(source);
        if (cache.size >= size) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      } else {
        // Re-inserted to mark it most recently used.
        cache.delete(source);
      }
      cache.set(source, statement);
      return statement;
    },
    close() {
      cache.clear();
      return sqlite.close();
    },
  } as Pick<SQLite.Database, 'prepare' | 'close'>;
}

function openPostgres(url: string, options: DatabaseOptions): DatabaseHandle {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // bigint columns hold epoch milliseconds, well inside Number's safe range.
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    // A connection cut without a reset (a partition) is probed after 10 s idle, not after hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types,
  });
  const availability = new DatabaseAvailability({
    probe: () => probePostgres(url, connectTimeoutMs),
    probeIntervalMs: options.probeIntervalMs,
    onDown: options.onUnavailable,
    onUp: options.onRecovered,
  });
  // A pg client whose server goes away emits 'error'; with no listener that ends the process.
  // The pool listens on idle clients only, so every client gets its own listener when it is
  // created, covering the ones in use by a query. Either is a reason to check the database.
  const onClientError = (error: unknown) => {
    if (isConnectionError(error)) availability.reportConnectionError();
  };
  pool.on('error', onClientError);
  pool.on('connect', (client) => {
    client.on('error', onClientError);
  });
  const db = new Kysely<Database>({
    dialect: withAvailability(new PostgresDialect({ pool }), availability),
  });
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      try {
        await pool.query('select 1');
      } catch (error) {
        if (isConnectionError(error)) availability.reportConnectionError();
        throw error;
      }
    },
    isAvailable: () => availability.isUp(),
    destroy: async () => {
      availability.close();
      await db.destroy();
    },
  };
}

// A fresh connection, not one from the pool: a pool busy with slow requests is not an outage,
// and a pooled connection may be the one that just broke.
async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}
