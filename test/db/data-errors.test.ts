import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isConnectionError, isDataError } from '../../src/db/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('a row the table refuses is a data error (never worth a retry), not a connection error', async () => {
    await sql`create table data_error_probe (id integer primary key)`.execute(db.handle.db);
    await sql`insert into data_error_probe (id) values (1)`.execute(db.handle.db);
    const duplicate = await rejection(
      sql`insert into data_error_probe (id) values (1)`.execute(db.handle.db),
    );
    expect(duplicate).not.toBeNull();
    expect(isDataError(duplicate)).toBe(true);
    expect(isConnectionError(duplicate)).toBe(false);
  });

  it('a missing table is neither (it may be back after a migration)', async () => {
    const missing = await rejection(sql`select * from no_such_table_here`.execute(db.handle.db));
    expect(missing).not.toBeNull();
    expect(isDataError(missing)).toBe(false);
  });
});

it('reads nothing into values without a code', () => {
  expect(isDataError(new Error('23505'))).toBe(false);
  expect(isDataError(undefined)).toBe(false);
  expect(isDataError({ code: 23505 })).toBe(false);
});
