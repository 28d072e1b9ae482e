import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEmail } from '../../src/accounts/index.ts';
import { hashAccount } from '../../src/detection/account-key.ts';
import {
  LoginOutcomeRecorder,
  pruneLoginHistory,
  readLoginOutcomes,
} from '../../src/history/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const DAY = 86_400_000;
const T0 = 1_800_000_000_000;

const outcome = (i: number, at = T0 + i) => ({
  at,
  clientKey: `198.51.100.${i % 250}`,
  accountKey: hashAccount(`user${i}@example.com`),
  outcome: i % 3 === 0 ? ('success' as const) : ('failure' as const),
});

async function countRows(db: TestDatabase): Promise<number> {
  const row = await db.handle.db
    .selectFrom('login_outcomes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function renameTable(db: TestDatabase, from: string, to: string) {
  return db.handle.db.schema.alterTable(from).renameTo(to).execute();
}

forEachDialect((_dialect, open) => {
  describe('LoginOutcomeRecorder', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(async () => {
      await db.cleanup();
    });

    it('writes in batches by size (1,200 logins = 3 INSERTs of at most 500), never one per login', async () => {
      const recorder = new LoginOutcomeRecorder({ db: db.handle.db, flushIntervalMs: 60_000 });
      for (let i = 0; i < 1200; i += 1) recorder.record(outcome(i));
      await recorder.flush();
      expect(recorder.stats()).toMatchObject({ written: 1200, batches: 3, buffered: 0 });
      const rows = await readLoginOutcomes(db.handle.db, T0);
      expect(rows).toHaveLength(1200);
      expect(rows[3]).toEqual(outcome(3));
      await recorder.close();
    });

    it('writes what is buffered at close (shutdown), however long the flush interval', async () => {
      const recorder = new LoginOutcomeRecorder({ db: db.handle.db, flushIntervalMs: 3_600_000 });
      for (let i = 0; i < 7; i += 1) recorder.record(outcome(i));
      expect(await countRows(db)).toBe(0);
      await recorder.close();
      expect(await countRows(db)).toBe(7);
    });

    it('keeps outcomes through a database failure and writes them when it is back', async () => {
      const errors: unknown[] = [];
      const recovered: unknown[] = [];
      const recorder = new LoginOutcomeRecorder({
        db: db.handle.db,
        flushIntervalMs: 60_000,
        retryIntervalMs: 20,
        maxBuffered: 5,
        onError: (error, dropped) => errors.push([String(error), dropped]),
        onRecovered: (info) => recovered.push(info),
      });
      await renameTable(db, 'login_outcomes', 'login_outcomes_away');
      for (let i = 0; i < 4; i += 1) recorder.record(outcome(i));
      await recorder.flush();
      expect(errors).toHaveLength(1);
      for (let i = 4; i < 8; i += 1) recorder.record(outcome(i));
      expect(recorder.stats()).toMatchObject({ buffered: 5, dropped: 3 });
      await renameTable(db, 'login_outcomes_away', 'login_outcomes');
      // The retry timer writes them without anyone calling flush.
      const deadline = Date.now() + 20_000;
      while (recorder.stats().written < 5 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(recovered).toEqual([{ writtenCount: 5, droppedCount: 3 }]);
      const kept = await readLoginOutcomes(db.handle.db, T0);
      expect(kept.map((r) => r.at)).toEqual([T0 + 3, T0 + 4, T0 + 5, T0 + 6, T0 + 7]);
      await recorder.close();
    });
  });

  describe('retention (LOGIN_HISTORY_DAYS)', () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(async () => {
      await db.cleanup();
    });

    it('deletes rows older than the cutoff in batches, oldest first, and keeps the rest', async () => {
      const recorder = new LoginOutcomeRecorder({ db: db.handle.db });
      // 25 rows a day apart (two per day on days 3 and 4: ties at a batch boundary).
      for (let day = 0; day < 25; day += 1) recorder.record(outcome(day, T0 + day * DAY));
      recorder.record(outcome(100, T0 + 3 * DAY));
      recorder.record(outcome(101, T0 + 4 * DAY));
      await recorder.close();
      const now = T0 + 24 * DAY + 1000;
      const deleted = await pruneLoginHistory(db.handle.db, now - 10 * DAY, 4);
      // Days 0..14 are older than 10 days (cutoff day 14 + 1 s), plus the two extra rows.
      expect(deleted).toBe(17);
      const left = await readLoginOutcomes(db.handle.db, 0);
      expect(left.map((r) => (r.at - T0) / DAY)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 15),
      );
      expect(await pruneLoginHistory(db.handle.db, now - 10 * DAY, 4)).toBe(0);
    });
  });

  describe('through the service', () => {
    let db: TestDatabase;
    let service: TestService;
    const account = { email: 'History@Example.com', password: 'history correct horse', name: 'H' };
    beforeAll(async () => {
      db = await open();
      service = await createTestService(db.handle);
      await service.services.accounts.signup(account);
    });
    afterAll(async () => {
      await service?.close();
      await db?.cleanup();
    });

    const login = (body: unknown) =>
      service.app.inject({ method: 'POST', url: '/api/auth/login', payload: body as object });

    it('records every login that reached the password check, and only those', async () => {
      const since = Date.now();
      expect((await login({ email: account.email, password: 'wrong password 1' })).statusCode).toBe(
        401,
      );
      expect(
        (await login({ email: ' history@example.com ', password: account.password })).statusCode,
      ).toBe(200);
      expect(
        (await login({ email: 'nobody@example.com', password: 'whatever it is' })).statusCode,
      ).toBe(401);
      // Refused before any password check: malformed email, missing password.
      expect((await login({ email: 'not-an-email', password: 'whatever it is' })).statusCode).toBe(
        400,
      );
      expect((await login({ email: account.email })).statusCode).toBe(400);
      await service.services.loginHistory.recorder.flush();
      const rows = await readLoginOutcomes(db.handle.db, since);
      const key = hashAccount(canonicalEmail(account.email));
      expect(rows.map((r) => [r.outcome, r.accountKey, r.clientKey])).toEqual([
        ['failure', key, '127.0.0.1'],
        ['success', key, '127.0.0.1'],
        ['failure', hashAccount('nobody@example.com'), '127.0.0.1'],
      ]);
    });

    it('a database failure neither fails nor delays logins; the outcomes are written after', async () => {
      const since = Date.now();
      await renameTable(db, 'login_outcomes', 'login_outcomes_away');
      try {
        for (let i = 0; i < 3; i += 1) {
          const response = await login({ email: account.email, password: account.password });
          expect(response.statusCode).toBe(200);
        }
        await service.services.loginHistory.recorder.flush();
        expect(service.services.loginHistory.recorder.stats().buffered).toBe(3);
      } finally {
        await renameTable(db, 'login_outcomes_away', 'login_outcomes');
      }
      await service.services.loginHistory.recorder.flush();
      expect(await readLoginOutcomes(db.handle.db, since)).toHaveLength(3);
    });
  });
});
