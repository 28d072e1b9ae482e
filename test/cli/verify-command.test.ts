import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVerifyEnv } from '../../src/config/index.ts';
import { runCli } from '../helpers/cli.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

describe('readVerifyEnv', () => {
  it('takes FLUX_AUTH_ADMIN_TOKEN, an empty one as unset', () => {
    expect(readVerifyEnv({ FLUX_AUTH_ADMIN_TOKEN: ' abc ' })).toEqual({ adminToken: 'abc' });
    expect(readVerifyEnv({ FLUX_AUTH_ADMIN_TOKEN: '' })).toEqual({ adminToken: undefined });
    expect(readVerifyEnv({})).toEqual({ adminToken: undefined });
  });
});

describe('flux-auth verify with FLUX_AUTH_ADMIN_TOKEN', () => {
  let db: TestDatabase;
  let service: TestService;
  let token: string;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle);
    await service.listen();
    const admin = { email: 'root@example.com', password: 'admin passphrase 1' };
    await service.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { ...admin, name: 'Root' },
    });
    await service.services.accounts.setRole(admin.email, 'admin');
    const login = await service.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: admin,
    });
    token = (JSON.parse(login.body) as { accessToken: string }).accessToken;
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  it('cleans up with the token from the environment and never prints it', async () => {
    const result = await runCli(['verify', service.url], { FLUX_AUTH_ADMIN_TOKEN: token });
    expect(result.stdout).toMatch(/PASS {2}cleanup: .* removed 50 verify-bot-\* accounts and 2 IP/);
    expect(result.stdout + result.stderr).not.toContain(token);
    const left = await db.handle.db
      .selectFrom('users')
      .select('id')
      .where('email', 'like', 'verify-bot-%')
      .execute();
    expect(left).toEqual([]);
  }, 180_000);
});
