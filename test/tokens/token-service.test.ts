import { afterAll, beforeAll, expect, it } from 'vitest';
import { AccountService, PasswordHasher, UserRepository } from '../../src/accounts/index.ts';
import { InvalidRefreshTokenError, UnauthenticatedError } from '../../src/errors.ts';
import { SecurityEventBus } from '../../src/events/index.ts';
import {
  AccessTokens,
  DEFAULT_REFRESH_TTL_MS,
  loadRefreshTokenSeal,
  RefreshTokens,
  TokenService,
} from '../../src/tokens/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { testPasswordPolicy } from '../helpers/strength.ts';

const CONTEXT = { ip: '198.51.100.1', userAgent: null, requestId: null };

forEachDialect((_dialect, open) => {
  let database: TestDatabase;
  let accounts: AccountService;
  let tokens: TokenService<Awaited<ReturnType<AccountService['signup']>>>;
  let now = Date.UTC(2025, 0, 1);

  beforeAll(async () => {
    database = await open();
    const clock = () => now;
    accounts = new AccountService({
      users: new UserRepository(database.handle.db),
      hasher: new PasswordHasher({ params: { memoryCostKiB: 1024, timeCost: 1 } }),
      policy: testPasswordPolicy(),
      clock,
    });
    tokens = new TokenService({
      accessTokens: await AccessTokens.create({
        key: { alg: 'HS256', secret: 's'.repeat(32) },
        issuer: 'https://auth.test',
        audience: 'flux',
        clock,
      }),
      refreshTokens: new RefreshTokens({
        db: database.handle.db,
        events: new SecurityEventBus(),
        seal: await loadRefreshTokenSeal(database.handle.db, DEFAULT_REFRESH_TTL_MS),
        clock,
      }),
      users: accounts,
    });
  });
  afterAll(() => database?.cleanup());

  it('issues, refreshes with the current role, verifies and logs out', async () => {
    const user = await accounts.signup({
      email: 'ivy@example.com',
      password: 'pebble-tundra-4',
      name: 'Ivy',
    });
    const pair = await tokens.issuePair(user);
    expect(pair.expiresIn).toBe(900);
    await expect(tokens.verifyAccess(pair.accessToken)).resolves.toMatchObject({
      sub: user.id,
      role: 'user',
    });
    // The refresh token is opaque, not a JWT, so it never passes as an access token.
    await expect(tokens.verifyAccess(pair.refreshToken)).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );

    await accounts.setRole('ivy@example.com', 'admin');
    now += 60_000;
    const next = await tokens.refresh(pair.refreshToken, CONTEXT);
    expect(next.user).toMatchObject({ id: user.id, role: 'admin' });
    await expect(tokens.verifyAccess(next.accessToken)).resolves.toMatchObject({ role: 'admin' });
    await expect(tokens.refresh(pair.refreshToken, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );

    const fresh = await tokens.issuePair(user);
    await tokens.logout(fresh.refreshToken);
    await tokens.logout(fresh.refreshToken);
    await expect(tokens.refresh(fresh.refreshToken, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
  });

  it('refuses to refresh for a user that no longer exists and revokes the session', async () => {
    const user = await accounts.signup({
      email: 'jay@example.com',
      password: 'cobalt-ferry-6',
      name: 'Jay',
    });
    const pair = await tokens.issuePair(user);
    const refreshTokens = new RefreshTokens({
      db: database.handle.db,
      events: new SecurityEventBus(),
      seal: await loadRefreshTokenSeal(database.handle.db, DEFAULT_REFRESH_TTL_MS),
      clock: () => now,
    });
    const forgetful = new TokenService({
      accessTokens: await AccessTokens.create({
        key: { alg: 'HS256', secret: 's'.repeat(32) },
        issuer: 'https://auth.test',
        audience: 'flux',
      }),
      refreshTokens,
      users: { getUser: async () => null },
    });
    await expect(forgetful.refresh(pair.refreshToken, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    const family = await database.handle.db
      .selectFrom('refresh_tokens')
      .select('revoked_at')
      .where('user_id', '=', user.id)
      .execute();
    expect(family).toHaveLength(2);
    for (const row of family) expect(row.revoked_at).toBe(now);
  });
});
