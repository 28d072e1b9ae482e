import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.ts';
import { ServiceUnavailableError } from '../../src/errors.ts';
import { freePort } from '../helpers/attack-redis-server.ts';
import { sleep } from '../helpers/attack-stores.ts';
import {
  openPostgresTestDatabase,
  POSTGRES_TEST_URL,
  type TestDatabase,
} from '../helpers/databases.ts';

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe('PostgreSQL connection loss', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openPostgresTestDatabase();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  // The crash of issue 7: a pg client in use whose server side goes away emits 'error'; with no
  // listener on that client the process ends. Here it must only fail that one query, with 503.
  it('a connection terminated under a running query fails that query with 503; the process lives on', async () => {
    const marker = `flux_marker_${randomBytes(6).toString('hex')}`;
    const running = rejection(sql`select pg_sleep(30) as ${sql.ref(marker)}`.execute(db.handle.db));
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      let terminated = 0;
      const deadline = Date.now() + 20_000;
      while (terminated === 0) {
        if (Date.now() > deadline) throw new Error('the sleeping query never showed up');
        const { rows } = await admin.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
           where query like $1 and pid <> pg_backend_pid()`,
          [`%${marker}%`],
        );
        terminated = rows.filter((r) => r.ok).length;
        if (terminated === 0) await sleep(20);
      }
    } finally {
      await admin.end();
    }
    const error = await running;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).headers['retry-after']).toMatch(/^\d+$/);
    // One lost connection is no outage: the probe finds the server and queries work again.
    // pg's pool can hand the dead client out once more before its socket's end is processed
    // (a busy machine widens that gap): that query is a 503 too, never a crash, and the pool
    // then drops the client.
    const answers: unknown[] = [];
    while (answers.length < 3 && !Array.isArray(answers.at(-1))) {
      const answer = await sql<{ one: number }>`select 1 as one`.execute(db.handle.db).then(
        (result) => result.rows,
        (failure: unknown) => failure,
      );
      answers.push(answer);
    }
    expect(answers.at(-1)).toEqual([{ one: 1 }]);
    for (const failure of answers.slice(0, -1))
      expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(db.handle.isAvailable()).toBe(true);
  });

  it('a query that is wrong stays a plain error, not a 503', async () => {
    const error = await rejection(sql`select * from no_such_table_here`.execute(db.handle.db));
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect((error as { code?: string }).code).toBe('42P01');
  });
});

describe('PostgreSQL not there', () => {
  it('answers 503 at once, confirms the outage once, then refuses without trying', async () => {
    const downs: unknown[] = [];
    const handle = createDatabase({
      url: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
      probeIntervalMs: 60_000,
      onUnavailable: (error) => downs.push(error),
    });
    try {
      const first = await rejection(sql`select 1`.execute(handle.db));
      expect(first).toBeInstanceOf(ServiceUnavailableError);
      const deadline = Date.now() + 20_000;
      while (handle.isAvailable()) {
        if (Date.now() > deadline) throw new Error('outage never confirmed');
        await sleep(10);
      }
      expect(downs).toHaveLength(1);
      for (let i = 0; i < 20; i += 1) {
        expect(await rejection(sql`select 1`.execute(handle.db))).toBeInstanceOf(
          ServiceUnavailableError,
        );
      }
      expect(downs).toHaveLength(1);
      await expect(handle.ping()).rejects.toThrow();
    } finally {
      await handle.destroy();
    }
  });
});
