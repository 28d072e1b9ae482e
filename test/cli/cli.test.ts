import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/attack-redis-server.ts';
import { runCli } from '../helpers/cli.ts';

const run = runCli;

describe('flux-auth CLI', () => {
  it('refuses a short JWT_SECRET in production with one line naming it and exit 78', async () => {
    const result = await run(['start'], {
      NODE_ENV: 'production',
      JWT_SECRET: 'short',
      DATABASE_URL: 'postgres://u@127.0.0.1:1/x',
    });
    expect(result.code).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_SECRET: is 5 characters; it must be at least 32/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('refuses a PASSWORD_MIN_SCORE outside 0–4 with one line naming it and exit 78', async () => {
    const result = await run(['start'], { PASSWORD_MIN_SCORE: '5', JWT_SECRET: 'x'.repeat(32) });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      'flux-auth: configuration error: PASSWORD_MIN_SCORE: "5" is not a whole number between 0 and 4.',
    ]);
    expect(result.stdout).toBe('');
  });

  it('refuses an invalid policy file with one line per problem and exit 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-policy-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: { brute_force: { limit: -1, mode: 'loud' } } }));
    const result = await run(['start'], { DATA_DIR: dir, FLUX_AUTH_POLICY: policy, PORT: '0' });
    expect(result.code).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(
        /^flux-auth: configuration error: FLUX_AUTH_POLICY: rules\.brute_force\./,
      );
  });

  it('refuses to serve production on an unmigrated database with exit 78', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-prod-'));
    const result = await run(['start'], {
      NODE_ENV: 'production',
      JWT_SECRET: 'z'.repeat(40),
      DATABASE_URL: `sqlite:${join(dir, 'prod.db')}`,
      PORT: '0',
    });
    expect(result.code).toBe(78);
    expect(result.stderr.trim()).toMatch(
      /^flux-auth: database: 7 database migration\(s\) pending \(0001_initial, 0002_ip_blocks, 0003_login_outcomes, 0004_alerts, 0006_admin_sessions, 0007_security_events_severity, 0008_service_keys\); run `flux-auth migrate` first\.$/,
    );
  });

  it('doctor names an unreachable database and exits non-zero', async () => {
    const result = await run(['doctor'], {
      NODE_ENV: 'production',
      JWT_SECRET: 'y'.repeat(40),
      DATABASE_URL: 'postgres://flux:hunter2@127.0.0.1:1/nothing',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAIL\s+database\s+cannot reach postgres:\/\/flux:\*\*\*@127\.0\.0\.1:1/,
    );
    expect(result.stdout).toMatch(/Check DATABASE_URL/);
    expect(result.stdout).not.toContain('hunter2');
  });

  it('doctor passes on a fresh development setup after migrate', async () => {
    // A free metrics port of its own: 9464 may be held by anything on a shared machine.
    const cwdEnv = {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-doc-')),
      METRICS_PORT: String(await freePort()),
    };
    const migrated = await run(['migrate'], cwdEnv);
    expect(migrated.code).toBe(0);
    const result = await run(['doctor'], cwdEnv);
    expect(result.stdout).toMatch(/ok\s+migrations\s+all applied/);
    expect(result.stdout).toMatch(/ok\s+geoip\s+8\.8\.8\.8 → US; no GEOIP_CITY_DB/);
    expect(result.stdout).toMatch(
      new RegExp(`ok\\s+metrics listener\\s+127\\.0\\.0\\.1:${cwdEnv.METRICS_PORT} is free`),
    );
    expect(result.code).toBe(0);
  });

  it('doctor fails a metrics port in use and names METRICS_PORT in the fix', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', () => resolve()));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'flux-doc-'));
      const result = await run(['doctor'], { DATA_DIR: dir, METRICS_PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        new RegExp(
          `FAIL\\s+metrics listener\\s+127\\.0\\.0\\.1:${port} is already in use\\s+Set METRICS_PORT`,
        ),
      );
    } finally {
      holder.close();
    }
  });

  it('doctor reports pending migrations with the fix', async () => {
    const result = await run(['doctor'], { DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-doc-')) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAIL\s+migrations\s+7 pending: 0001_initial, 0002_ip_blocks, 0003_login_outcomes, 0004_alerts, 0006_admin_sessions, 0007_security_events_severity, 0008_service_keys.*flux-auth migrate/,
    );
  });

  it('block, blocks and unblock act on the shared Redis store', async () => {
    const env = {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-blk-')),
    };
    const ip = '192.0.2.55';
    const blocked = await run(['block', ip, '--minutes', '5', '--reason', 'cli test'], env);
    expect(blocked.stderr).toBe('');
    expect(blocked.stdout).toMatch(/^blocked 192\.0\.2\.55 until .*\(cli test\)/);
    const listed = await run(['blocks'], env);
    expect(listed.stdout).toMatch(/192\.0\.2\.55 {2}manual {2}until/);
    expect((await run(['unblock', ip], env)).code).toBe(0);
    const again = await run(['unblock', ip], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/no active block/);
  }, 180_000);

  it('verify refuses a non-loopback target without --i-own-this-host', async () => {
    const result = await run(['verify', 'http://192.0.2.1:3001'], {});
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/not a loopback address/);
  });
});
