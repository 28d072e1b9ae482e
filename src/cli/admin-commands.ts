import {
  AccountService,
  PasswordHasher,
  PasswordPolicy,
  UserRepository,
  ZxcvbnStrengthEstimator,
} from '../accounts/index.ts';
import { createDatabase, migrateToLatest } from '../db/index.ts';
import { SecurityEventBus } from '../events/index.ts';
import { RefreshTokens } from '../tokens/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

async function withDatabase<T>(
  work: (db: ReturnType<typeof createDatabase>) => Promise<T>,
): Promise<T> {
  const { config } = loadConfigOrExit();
  const handle = createDatabase({ url: config.databaseUrl });
  try {
    return await work(handle);
  } finally {
    await handle.destroy();
  }
}

/** `flux-auth migrate`: applies pending migrations and lists them. */
export async function runMigrate(): Promise<void> {
  try {
    const applied = await withDatabase((h) => migrateToLatest(h.db));
    process.stdout.write(
      applied.length ? `applied: ${applied.join(', ')}\n` : 'nothing to apply\n',
    );
  } catch (error) {
    failAndExit('migration failed', error);
  }
}

/** `flux-auth create-admin <email>`: gives an existing account the admin role. */
export async function runCreateAdmin(email: string): Promise<void> {
  try {
    const found = await withDatabase(async (h) => {
      const users = new UserRepository(h.db);
      const accounts = new AccountService({
        users,
        hasher: new PasswordHasher(),
        policy: new PasswordPolicy({ estimator: new ZxcvbnStrengthEstimator() }),
      });
      return accounts.setRole(email, 'admin');
    });
    if (!found)
      failAndExit('create-admin', new Error(`no account with email ${email}; sign up first`));
    process.stdout.write(`${email} is now an admin (new tokens carry the role)\n`);
  } catch (error) {
    failAndExit('create-admin failed', error);
  }
}

/** `flux-auth cleanup-tokens`: deletes expired and revoked refresh tokens. */
export async function runCleanupTokens(): Promise<void> {
  const { config } = loadConfigOrExit();
  try {
    const deleted = await withDatabase((h) =>
      new RefreshTokens({
        db: h.db,
        events: new SecurityEventBus(),
        ttlMs: config.refreshTokenTtlSeconds * 1000,
      }).deleteExpired(Date.now()),
    );
    process.stdout.write(`deleted ${deleted} refresh tokens\n`);
  } catch (error) {
    failAndExit('cleanup failed', error);
  }
}
