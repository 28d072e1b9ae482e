import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '../../src/db/index.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestService, generousPolicy, type TestService } from '../helpers/test-service.ts';

const CLI_ACTOR = `cli:${userInfo().username}`;

describe('CLI block commands without Redis (blocks in the database)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flux-embedded-'));
  const env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'flux.db')}` };
  let handle: DatabaseHandle;
  let service: TestService;

  beforeAll(async () => {
    handle = createDatabase({ url: env.DATABASE_URL });
    await migrateToLatest(handle.db as unknown as Kysely<unknown>);
    service = await createTestService(handle, { policy: generousPolicy() });
  });
  afterAll(async () => {
    await service?.close();
    await handle?.destroy();
  });

  /** What the running server answers a signup from the IP: 429 while blocked, else 400. */
  const answerFor = async (ip: string) =>
    (
      await service.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        remoteAddress: ip,
        payload: { email: 'x' },
      })
    ).statusCode;

  async function until(ip: string, status: number): Promise<number> {
    const started = Date.now();
    while ((await answerFor(ip)) !== status && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await answerFor(ip)).toBe(status);
    return Date.now() - started;
  }

  const eventsOf = (type: string) =>
    handle.db.selectFrom('security_events').selectAll().where('type', '=', type).execute();

  it.each([
    ['hello', /"hello" is not an IPv4 address/],
    ['999.1.1.1', /"999\.1\.1\.1" is not an IPv4 address/],
    ['10.0.0.0/8', /"10\.0\.0\.0\/8" is a range; blocks are per address/],
  ])(
    'refuses to block %s with the API’s message and exit 64',
    async (ip, message) => {
      const result = await runCli(['block', ip], env);
      expect(result.code).toBe(64);
      expect(result.stderr).toMatch(/^flux-auth: block: Invalid field "ip": /);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    },
    120_000,
  );

  it('block reaches the running server, blocks lists it, unblock lifts it; both audited', async () => {
    const ip = '198.51.100.77';
    expect(await answerFor(ip)).toBe(400);
    const blocked = await runCli(['block', ip, '--minutes', '5', '--reason', 'typo storm'], env);
    expect(blocked.stderr).toBe('');
    expect(blocked.stdout).toMatch(/^blocked 198\.51\.100\.77 until .*\(typo storm\)/);
    // Generous bound for a busy machine; the server polls every 500 ms.
    expect(await until(ip, 429)).toBeLessThan(8000);
    expect((await runCli(['blocks'], env)).stdout).toMatch(/198\.51\.100\.77 {2}manual {2}until/);
    const unblocked = await runCli(['unblock', ip], env);
    expect(unblocked).toMatchObject({ code: 0, stdout: `unblocked ${ip}\n` });
    expect(await until(ip, 400)).toBeLessThan(8000);
    expect(await runCli(['unblock', ip], env)).toMatchObject({ code: 1 });
    for (const type of ['ip_blocked_manually', 'ip_unblocked_manually']) {
      const rows = await eventsOf(type);
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]?.details ?? '{}')).toMatchObject({ actor: CLI_ACTOR });
      expect(rows[0]?.ip).toBe(ip);
    }
  }, 180_000);

  it('a block survives a server restart', async () => {
    const ip = '198.51.100.78';
    expect((await runCli(['block', ip], env)).code).toBe(0);
    await service.close();
    service = await createTestService(handle, { policy: generousPolicy() });
    expect(await answerFor(ip)).toBe(429);
    expect((await runCli(['unblock', ip], env)).code).toBe(0);
  }, 180_000);

  it('create-admin and revoke-admin are audited (high) with the actor; the role follows', async () => {
    const signup = await service.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'ops@example.com', password: 'operator passphrase 9', name: 'Ops' },
    });
    const { refreshToken, user } = readJsonBody(signup.body);
    expect((await runCli(['create-admin', 'ops@example.com'], env)).code).toBe(0);
    // The role takes effect at the next token refresh (or login).
    const refreshed = readJsonBody(
      (
        await service.app.inject({
          method: 'POST',
          url: '/api/auth/refresh',
          payload: { refreshToken },
        })
      ).body,
    );
    expect(refreshed.user.role).toBe('admin');
    const admin = { authorization: `Bearer ${refreshed.accessToken}` };
    const listed = await service.app.inject({ url: '/api/admin/blocks', headers: admin });
    expect(listed.statusCode).toBe(200);
    const revoked = await runCli(['revoke-admin', 'ops@example.com'], env);
    expect(revoked.code).toBe(0);
    // The admin API reads the role at every request: refused at once.
    expect(
      (await service.app.inject({ url: '/api/admin/blocks', headers: admin })).statusCode,
    ).toBe(403);
    for (const type of ['admin_role_granted', 'admin_role_revoked']) {
      const rows = await eventsOf(type);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ severity: 'high', user_id: user.id });
      expect(JSON.parse(rows[0]?.details ?? '{}')).toMatchObject({ actor: CLI_ACTOR });
    }
    const missing = await runCli(['revoke-admin', 'nobody@example.com'], env);
    expect(missing.code).toBe(1);
    // The scrubber masks e-mail addresses in every message, the CLI's too.
    expect(missing.stderr).toMatch(/no account with email n\*\*\*@example\.com/);
  }, 180_000);
});

// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary response shapes
function readJsonBody(text: string): any {
  return JSON.parse(text);
}
