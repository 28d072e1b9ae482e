import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BacktestResult } from '../../src/backtest/index.ts';
import { hashAccount } from '../../src/detection/account-key.ts';
import { AttackClient } from '../helpers/attack-client.ts';
import { startAttackService, wrongPassword } from '../helpers/attack-stores.ts';
import { runCli } from '../helpers/cli.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

// A recorded attack, played for real against a running server (limit 5): then the backtest CLI
// and API answer what another brute-force limit would have changed.
//   A 127.62.0.1: 12 wrong guesses → 5 failures, blocked, 7 refused   (10 would still block)
//   B 127.62.0.2:  8 wrong guesses → 5 failures, blocked, 3 refused   (10 would not block)
//   C 127.62.0.3:  3 wrong guesses → no block                          (3 would block)
//   D 127.62.0.4:  4 wrong, the right password, 4 wrong → no block    (3 would block at the 3rd)

const owner = { email: 'backtest-owner@example.com', password: 'owner correct horse', name: 'O' };
const dir = mkdtempSync(join(tmpdir(), 'flux-backtest-'));
const policyFile = (name: string, policy: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(policy));
  return path;
};
const LIMIT_10 = { rules: { brute_force: { limit: 10 } } };
const LIMIT_3 = { rules: { brute_force: { limit: 3 } } };

forEachDialect((dialect) => {
  const third = dialect === 'sqlite' ? 62 : 63;
  const ip = (n: number) => `127.${third}.0.${n}`;
  let db: TestDatabase;
  let service: TestService;
  let adminToken: string;
  const clients: AttackClient[] = [];

  beforeAll(async () => {
    const { openSqliteTestDatabase, openPostgresTestDatabase } = await import(
      '../helpers/databases.ts'
    );
    db = dialect === 'sqlite' ? await openSqliteTestDatabase() : await openPostgresTestDatabase();
    service = await startAttackService(db.handle, 'memory');
    await service.services.accounts.signup(owner);
    const admin = {
      email: `root-${dialect}@example.com`,
      password: 'admin correct horse 1',
      name: 'R',
    };
    await service.services.accounts.signup(admin);
    await service.services.accounts.setRole(admin.email, 'admin');
    const client = (n: number) => {
      const c = new AttackClient(ip(n));
      clients.push(c);
      return c;
    };
    const login = (c: AttackClient, body: unknown) => c.post(`${service.url}/api/auth/login`, body);
    const guess = async (n: number, count: number, target: string) => {
      const c = client(n);
      const statuses: number[] = [];
      for (let i = 0; i < count; i += 1) {
        statuses.push((await login(c, wrongPassword({ email: target }, i))).status);
      }
      return statuses;
    };
    expect(await guess(1, 12, 'a-target@example.com')).toEqual([
      ...Array(5).fill(401),
      ...Array(7).fill(429),
    ]);
    expect(await guess(2, 8, 'b-target@example.com')).toEqual([
      ...Array(5).fill(401),
      ...Array(3).fill(429),
    ]);
    expect(await guess(3, 3, 'c-target@example.com')).toEqual(Array(3).fill(401));
    const d = client(4);
    for (let i = 0; i < 4; i += 1) await login(d, wrongPassword(owner, i));
    expect((await login(d, owner)).status).toBe(200);
    for (let i = 0; i < 4; i += 1) await login(d, wrongPassword(owner, 10 + i));
    const adminLogin = await client(9).post(`${service.url}/api/auth/login`, admin);
    adminToken = (adminLogin.body as unknown as { accessToken: string }).accessToken;
    // Roll-ups held back and buffered rows are written as at shutdown.
    service.services.detector.flushEvents({ all: true });
    await service.services.audit.flush();
    await service.services.loginHistory.recorder.flush();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.close();
    await db?.cleanup();
  });

  const backtest = async (policy: unknown): Promise<BacktestResult> => {
    const result = await runCli(
      ['backtest', '--policy', policyFile(`p-${dialect}.json`, policy), '--since', '1h', '--json'],
      { DATABASE_URL: db.url, DATA_DIR: dir },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as BacktestResult;
  };

  it('flux-auth backtest: raising the limit from 5 to 10 removes exactly B’s block', async () => {
    const result = await backtest(LIMIT_10);
    // 5 + 5 + 3 + 9 attack logins reached the password check, plus the admin's.
    expect(result.replayed).toEqual({ loginOutcomes: 23, refusedRequests: 10, recordedBlocks: 2 });
    expect(result.blocksRemoved.map((b) => b.clientKey)).toEqual([ip(2)]);
    expect(result.blocksRemoved[0]?.accounts).toEqual([hashAccount('b-target@example.com')]);
    expect(result.blocksAdded).toEqual([]);
    expect(result.blocksKept).toBe(1);
    expect(result.ipsAffected).toEqual([ip(2)]);
    expect(result.accountsAffected).toEqual([hashAccount('b-target@example.com')]);
  });

  it('flux-auth backtest: lowering it to 3 adds C’s and D’s blocks and keeps A’s and B’s', async () => {
    const result = await backtest(LIMIT_3);
    expect(result.blocksAdded.map((b) => b.clientKey).sort()).toEqual([ip(3), ip(4)]);
    expect(result.blocksRemoved).toEqual([]);
    expect(result.blocksKept).toBe(2);
    expect(result.accountsAffected).toEqual(
      [hashAccount('c-target@example.com'), hashAccount(owner.email)].sort(),
    );
  });

  it('the same policy as recorded changes nothing', async () => {
    const result = await backtest({});
    expect([result.blocksAdded, result.blocksRemoved, result.blocksKept]).toEqual([[], [], 2]);
  });

  it('prints a readable summary, and refuses a bad policy or period with exit 64', async () => {
    const text = await runCli(
      ['backtest', '--policy', policyFile(`t-${dialect}.json`, LIMIT_10), '--since', '1h'],
      { DATABASE_URL: db.url, DATA_DIR: dir },
    );
    expect(text.stdout).toContain('Blocks removed: 1');
    expect(text.stdout).toContain(`- ${ip(2)}`);
    const bad = await runCli(
      [
        'backtest',
        '--policy',
        policyFile(`b-${dialect}.json`, { rules: { brute_force: { limit: -1 } } }),
      ],
      { DATABASE_URL: db.url, DATA_DIR: dir },
    );
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('rules.brute_force.limit: must be a positive integer, got -1');
    const period = await runCli(
      ['backtest', '--policy', policyFile(`t-${dialect}.json`, LIMIT_10), '--since', 'yesterday'],
      { DATABASE_URL: db.url, DATA_DIR: dir },
    );
    expect(period.code).toBe(64);
    expect(period.stderr).toContain('--since');
  });

  it('POST /api/admin/policy/backtest: the same diff for the dashboard; 400 naming a bad policy', async () => {
    const call = (body: unknown, token = adminToken) =>
      service.app.inject({
        method: 'POST',
        url: '/api/admin/policy/backtest',
        headers: { authorization: `Bearer ${token}` },
        payload: body as object,
      });
    const ok = await call({ policy: LIMIT_10, since: '1h' });
    expect(ok.statusCode).toBe(200);
    const result = ok.json() as BacktestResult;
    expect(result.blocksRemoved.map((b) => b.clientKey)).toEqual([ip(2)]);
    expect(result.blocksAdded).toEqual([]);
    const bad = await call({ policy: { rules: { brute_forse: {} } }, since: '1h' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(bad.json().error).toContain('rules.brute_forse: unknown rule');
    expect((await call({ policy: {}, since: 'soon' })).statusCode).toBe(400);
    expect((await call({ policy: 'x', since: '1h' })).statusCode).toBe(400);
    const anonymous = await service.app.inject({
      method: 'POST',
      url: '/api/admin/policy/backtest',
      payload: { policy: {}, since: '1h' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses, with a 400 naming "since", a period holding more attempts than one backtest replays', async () => {
    const id = randomUUID();
    const db = service.services.database.db;
    await db
      .insertInto('security_events')
      .values({
        id,
        created_at: Date.now() - 60_000,
        type: 'blocked_request',
        severity: 'low',
        ip: '203.0.113.250',
        user_id: null,
        user_agent: null,
        rule: 'brute_force',
        details: JSON.stringify({
          ipKey: '203.0.113.250',
          blockRule: 'brute_force',
          route: 'login',
          count: 2_000_000,
        }),
        request_id: null,
      })
      .execute();
    try {
      const tooLarge = await service.app.inject({
        method: 'POST',
        url: '/api/admin/policy/backtest',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { policy: LIMIT_10, since: '1h' },
      });
      expect(tooLarge.statusCode).toBe(400);
      expect(tooLarge.json().error).toContain('"since"');
      expect(tooLarge.json().error).toContain('choose a shorter one');
    } finally {
      await db.deleteFrom('security_events').where('id', '=', id).execute();
    }
  });
});
