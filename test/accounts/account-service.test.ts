import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountService,
  HashQueue,
  PasswordHasher,
  UserRepository,
} from '../../src/accounts/index.ts';
import {
  EmailTakenError,
  InvalidCredentialsError,
  ValidationError,
  WeakPasswordError,
} from '../../src/errors.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { testPasswordPolicy } from '../helpers/strength.ts';

/** Counts the password operations that reach the queue. */
class CountingQueue extends HashQueue {
  runs = 0;
  override run<T>(task: () => Promise<T>): Promise<T> {
    this.runs++;
    return super.run(task);
  }
}

const policy = testPasswordPolicy();

forEachDialect((_dialect, open) => {
  let database: TestDatabase;
  let queue: CountingQueue;
  let hasher: PasswordHasher;
  let users: UserRepository;
  let accounts: AccountService;
  let now = Date.UTC(2025, 0, 1);

  beforeAll(async () => {
    database = await open();
    queue = new CountingQueue();
    hasher = new PasswordHasher({ queue });
    users = new UserRepository(database.handle.db);
    accounts = new AccountService({ users, hasher, policy, clock: () => now });
  });
  afterAll(() => database?.cleanup());

  describe('signup', () => {
    it('creates a user with a public view and an argon2id hash', async () => {
      const user = await accounts.signup({
        email: ' Carol@Example.com ',
        password: 'tulip-harbour-42',
        name: ' Carol ',
      });
      expect(user).toEqual({
        id: expect.any(String),
        email: 'carol@example.com',
        name: 'Carol',
        role: 'user',
        createdAt: '2025-01-01T00:00:00.000Z',
      });
      expect(user).not.toHaveProperty('password_hash');
      const row = await users.findById(user.id);
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row?.created_at).toBe(now);
    });

    it('treats full-width and upper-case spellings as the same account (409)', async () => {
      await accounts.signup({ email: 'dave@example.com', password: 'mango-sunset-77', name: 'D' });
      await expect(
        accounts.signup({
          email: 'ＤＡＶＥ＠ＥＸＡＭＰＬＥ．ＣＯＭ',
          password: 'mango-sunset-78',
          name: 'D2',
        }),
      ).rejects.toBeInstanceOf(EmailTakenError);
      await expect(
        accounts.signup({ email: '  DAVE@example.COM', password: 'mango-sunset-79', name: 'D3' }),
      ).rejects.toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    });

    it('lets exactly one of two concurrent signups with one email win', async () => {
      const results = await Promise.allSettled([
        accounts.signup({ email: 'race@example.com', password: 'violet-canyon-1', name: 'A' }),
        accounts.signup({ email: 'RACE@example.com', password: 'violet-canyon-2', name: 'B' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(EmailTakenError);
    });

    it('refuses bad input before hashing', async () => {
      const before = queue.runs;
      await expect(
        accounts.signup({ email: 'erin@example.com', password: 'password1', name: 'Erin' }),
      ).rejects.toBeInstanceOf(WeakPasswordError);
      await expect(
        accounts.signup({ email: 'erin@example.com', password: 'short', name: 'Erin' }),
      ).rejects.toMatchObject({ field: 'password' });
      await expect(
        accounts.signup({ email: 'erin@example.com', password: 'x'.repeat(129), name: 'Erin' }),
      ).rejects.toMatchObject({ field: 'password' });
      await expect(
        accounts.signup({ email: 'erin', password: 'lantern-meadow-5', name: 'Erin' }),
      ).rejects.toMatchObject({ field: 'email' });
      await expect(
        accounts.signup({ email: 'erin@example.com', password: 'lantern-meadow-5', name: ' ' }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(queue.runs).toBe(before);
    });

    it('hashes the NFKC form, so full-width spellings of the password log in', async () => {
      await accounts.signup({
        email: 'fay@example.com',
        password: 'ｐａｓｓ-river-9',
        name: 'Fay',
      });
      await expect(
        accounts.login({ email: 'fay@example.com', password: 'pass-river-9' }),
      ).resolves.toMatchObject({ email: 'fay@example.com' });
    });
  });

  describe('login', () => {
    beforeAll(async () => {
      await accounts.signup({ email: 'gina@example.com', password: 'orchid-valley-3', name: 'G' });
    });

    it('returns the user for the right password, any spelling of the email', async () => {
      await expect(
        accounts.login({ email: ' GINA@Example.com', password: 'orchid-valley-3' }),
      ).resolves.toMatchObject({ email: 'gina@example.com', role: 'user' });
    });

    it('answers unknown email and wrong password with the same error, both paying one verify', async () => {
      const errors: unknown[] = [];
      const costs: number[] = [];
      for (const email of ['gina@example.com', 'nobody@example.com']) {
        const before = queue.runs;
        errors.push(await accounts.login({ email, password: 'not-her-password' }).catch((e) => e));
        costs.push(queue.runs - before);
      }
      const [wrong, unknown] = errors;
      expect(wrong).toBeInstanceOf(InvalidCredentialsError);
      expect(unknown).toBeInstanceOf(InvalidCredentialsError);
      expect(unknown).toMatchObject({
        message: (wrong as Error).message,
        code: (wrong as InvalidCredentialsError).code,
        status: 401,
      });
      expect(costs).toEqual([1, 1]);
    });

    it('verifies a legacy bcrypt $2b$ hash and re-hashes it to argon2id', async () => {
      const legacyHash = await bcrypt.hash('legacy-kiwi-pass', 4);
      expect(legacyHash).toMatch(/^\$2b\$/);
      await users.insert({
        id: 'legacy-user-1',
        email: 'legacy@example.com',
        name: 'Old Timer',
        password_hash: legacyHash,
        role: 'user',
        created_at: now,
        updated_at: now,
      });

      await expect(
        accounts.login({ email: 'legacy@example.com', password: 'wrong-kiwi-pass' }),
      ).rejects.toBeInstanceOf(InvalidCredentialsError);
      expect((await users.findById('legacy-user-1'))?.password_hash).toBe(legacyHash);

      now += 1000;
      await accounts.login({ email: 'legacy@example.com', password: 'legacy-kiwi-pass' });
      const row = await users.findById('legacy-user-1');
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row?.updated_at).toBe(now);
      await expect(
        accounts.login({ email: 'legacy@example.com', password: 'legacy-kiwi-pass' }),
      ).resolves.toMatchObject({ id: 'legacy-user-1' });
    });

    it('re-hashes argon2 hashes made with weaker parameters', async () => {
      const weak = await new PasswordHasher({ params: { memoryCostKiB: 4096, timeCost: 1 } }).hash(
        'weak-params-pass',
      );
      await users.insert({
        id: 'weak-user-1',
        email: 'weak@example.com',
        name: 'W',
        password_hash: weak,
        role: 'user',
        created_at: now,
        updated_at: now,
      });
      await accounts.login({ email: 'weak@example.com', password: 'weak-params-pass' });
      expect((await users.findById('weak-user-1'))?.password_hash).toMatch(/m=19456,t=2,p=1/);
    });
  });

  describe('getUser and setRole', () => {
    it('finds users by id and promotes by email', async () => {
      const user = await accounts.signup({
        email: 'hank@example.com',
        password: 'granite-pepper-8',
        name: 'Hank',
      });
      await expect(accounts.getUser(user.id)).resolves.toEqual(user);
      await expect(accounts.getUser('no-such-id')).resolves.toBeNull();
      await expect(accounts.setRole('HANK@example.com', 'admin')).resolves.toMatchObject({
        id: user.id,
        role: 'admin',
      });
      await expect(accounts.setRole('ghost@example.com', 'admin')).resolves.toBeNull();
    });
  });
});
