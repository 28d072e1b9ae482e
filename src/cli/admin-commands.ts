import {
  AccountService,
  PasswordHasher,
  PasswordPolicy,
  type Role,
  UserRepository,
  ZxcvbnStrengthEstimator,
} from '../accounts/index.ts';
import { createDatabase, migrateToLatest } from '../db/index.ts';
import { operatorActionEvent, SecurityEventBus } from '../events/index.ts';
import { loadRefreshTokenSeal, RefreshTokens } from '../tokens/index.ts';
import { cliActor, withAuditLog } from './cli-audit.ts';
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

/** `flux-auth create-admin <email>`: gives an existing account the admin role (audited, high). */
export async function runCreateAdmin(email: string): Promise<void> {
  await changeRole('create-admin', email, 'admin');
  process.stdout.write(
    `${email} is now an admin; it takes effect at the account's next login or token refresh\n`,
  );
}

/** `flux-auth revoke-admin <email>`: takes the admin role away (audited, high). */
export async function runRevokeAdmin(email: string): Promise<void> {
  await changeRole('revoke-admin', email, 'user');
  process.stdout.write(
    `${email} is no longer an admin; the admin API refuses it now, its tokens lose the role at the next refresh\n`,
  );
}

// One path for both directions: the role write and its audit event naming `cli:<os user>`.
async function changeRole(command: string, email: string, role: Role): Promise<void> {
  try {
    const found = await withDatabase((h) =>
      withAuditLog(h.db, async (bus) => {
        const accounts = new AccountService({
          users: new UserRepository(h.db),
          hasher: new PasswordHasher(),
          policy: new PasswordPolicy({ estimator: new ZxcvbnStrengthEstimator() }),
        });
        const user = await accounts.setRole(email, role);
        if (user !== null) {
          const change = { at: Date.now(), actor: cliActor(), subjectUserId: user.id };
          bus.publish(
            role === 'admin'
              ? operatorActionEvent({ type: 'admin_role_granted', ...change, details: { role } })
              : operatorActionEvent({ type: 'admin_role_revoked', ...change, details: { role } }),
          );
        }
        return user;
      }),
    );
    if (!found) failAndExit(command, new Error(`no account with email ${email}; sign up first`));
  } catch (error) {
    failAndExit(`${command} failed`, error);
  }
}

/** `flux-auth cleanup-tokens`: deletes expired and revoked refresh tokens. */
export async function runCleanupTokens(): Promise<void> {
  const { config } = loadConfigOrExit();
  try {
    const deleted = await withDatabase(async (h) =>
      new RefreshTokens({
        db: h.db,
        events: new SecurityEventBus(),
        seal: await loadRefreshTokenSeal(h.db, config.refreshTokenTtlSeconds * 1000),
        ttlMs: config.refreshTokenTtlSeconds * 1000,
      }).deleteExpired(Date.now()),
    );
    process.stdout.write(`deleted ${deleted} refresh tokens\n`);
  } catch (error) {
    failAndExit('cleanup failed', error);
  }
}
