import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withStatementCache } from '../../src/db/create-database.ts';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '../../src/db/index.ts';

describe('withStatementCache', () => {
  const opened: SQLite.Database[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
  });

  function open(): SQLite.Database {
    const db = new SQLite(':memory:');
    opened.push(db);
    return db;
  }

  it('prepares each SQL text once and reuses the statement', () => {
    const sqlite = open();
    const prepare = vi.spyOn(sqlite, 'prepare');
    const cached = withStatementCache(sqlite);
    const a = cached.prepare('select 1 as x');
    const b = cached.prepare('select 1 as x');
    expect(b).toBe(a);
    expect(cached.prepare('select 2 as x')).not.toBe(a);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('drops the least recently used statement beyond its size', () => {
    const sqlite = open();
    const prepare = vi.spyOn(sqlite, 'prepare');
    const cached = withStatementCache(sqlite, 2);
    cached.prepare('select 1');
    cached.prepare('select 2');
    cached.prepare('select 1'); // 1 is now the most recent
    cached.prepare('select 3'); // evicts 2
    expect(prepare).toHaveBeenCalledTimes(3);
    cached.prepare('select 1');
    expect(prepare).toHaveBeenCalledTimes(3);
    cached.prepare('select 2');
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('does not cache SQL that fails to prepare', () => {
    const cached = withStatementCache(open());
    expect(() => cached.prepare('selec nonsense')).toThrow();
    expect(() => cached.prepare('selec nonsense')).toThrow();
  });

  it('gives Kysely correct results across repeated queries, writes and a schema change', async () => {
    const sqlite = open();
    const db = new Kysely<{ t: { id: number; v: string } }>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    for (let i = 1; i <= 5; i++) {
      const result = await db
        .insertInto('t')
        .values({ id: i, v: `v${i}` })
        .executeTakeFirst();
      expect(result.numInsertedOrUpdatedRows).toBe(1n);
    }
    for (let i = 1; i <= 5; i++) {
      const row = await db.selectFrom('t').selectAll().where('id', '=', i).executeTakeFirst();
      expect(row).toEqual({ id: i, v: `v${i}` });
    }
    const updated = await db
      .updateTable('t')
      .set({ v: 'x' })
      .where('id', '>', 3)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    // A column added after statements were cached: `select *` sees it on the next run.
    await sql`alter table t add column w text`.execute(db);
    const row = await db.selectFrom('t').selectAll().where('id', '=', 4).executeTakeFirst();
    expect(row).toEqual({ id: 4, v: 'x', w: null });
    // Streaming holds the one connection, so a cached statement is never used twice at once.
    const streamed: number[] = [];
    for await (const r of db.selectFrom('t').select('id').orderBy('id').stream()) {
      streamed.push(r.id);
    }
    expect(streamed).toEqual([1, 2, 3, 4, 5]);
    await db.destroy();
    expect(sqlite.open).toBe(false);
  });

  it('is what createDatabase uses for sqlite (transactions included)', async () => {
    const handle: DatabaseHandle = createDatabase({ url: 'sqlite::memory:' });
    try {
      await migrateToLatest(handle.db);
      const now = Date.now();
      const user = {
        id: 'u1',
        email: 'a@example.com',
        name: 'A',
        password_hash: 'h',
        role: 'user' as const,
        created_at: now,
        updated_at: now,
      };
      await handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(user).execute();
      });
      await expect(
        handle.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({ ...user, id: 'u2', email: 'b@example.com' })
            .execute();
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const emails = await handle.db.selectFrom('users').select('email').execute();
      expect(emails).toEqual([{ email: 'a@example.com' }]);
      await handle.ping();
    } finally {
      await handle.destroy();
    }
  });
});
