import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSuspiciousAgent, formatVerifyTable, verifyInstance } from '../../src/cli/verify.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  let service: TestService;
  let adminToken: string;
  let userToken: string;

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${service.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    db = await open();
    service = await createTestService(db.handle);
    await service.listen();
    const admin = { email: 'root@example.com', password: 'admin passphrase 1' };
    await call('POST', '/api/auth/signup', undefined, { ...admin, name: 'Root' });
    const user = await readJson(
      await call('POST', '/api/auth/signup', undefined, {
        email: 'plain@example.com',
        password: 'user passphrase 1',
        name: 'Plain',
      }),
    );
    userToken = user.accessToken;
    expect(await service.services.accounts.setRole(admin.email, 'admin')).toMatchObject({
      role: 'admin',
    });
    adminToken = (await readJson(await call('POST', '/api/auth/login', undefined, admin)))
      .accessToken;
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  it('GET /api/admin/ips/:ip: reputation and why, the active block, latest events; 400 naming ip', async () => {
    const ip = '198.51.100.77';
    const before = await readJson(await call('GET', `/api/admin/ips/${ip}`, adminToken));
    expect(before).toMatchObject({
      ip,
      ipKey: ip,
      reputation: { score: 0, level: 0, listed: false, reasons: [] },
      counters: { requests: 0, failures: 0, pending: 0 },
      block: null,
      geo: null,
    });
    const { detector } = service.services;
    await detector.blockIp(ip, { durationSeconds: 600, reason: 'test' });
    const after = await readJson(await call('GET', `/api/admin/ips/${ip}`, adminToken));
    expect(after.block).toMatchObject({ ip, rule: 'manual' });
    await detector.unblockIp(ip);
    const bad = await call('GET', '/api/admin/ips/not-an-ip', adminToken);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await readJson(bad))).toContain('ip');
    expect((await call('GET', `/api/admin/ips/${ip}`, userToken)).status).toBe(403);
  });

  it('GET /api/admin/ips/:ip places a public address with the GeoIP data (bundled countries)', async () => {
    const placed = await readJson(await call('GET', '/api/admin/ips/81.2.69.142', adminToken));
    expect(placed.geo).toEqual({ country: 'GB' });
  });

  it('refuses the admin API without a token (401) and to a plain user (403)', async () => {
    expect((await call('GET', '/api/admin/events')).status).toBe(401);
    const forbidden = await call('GET', '/api/admin/blocks', userToken);
    expect(forbidden.status).toBe(403);
    expect((await readJson(forbidden)).code).toBe('FORBIDDEN');
    expect(
      (
        await call('POST', '/api/admin/blocks', userToken, {
          ip: '1.2.3.4',
          reason: 'x',
          durationSeconds: 60,
        })
      ).status,
    ).toBe(403);
  });

  it('takes admin access away at once when the role is removed, whatever the token says', async () => {
    expect((await call('GET', '/api/admin/blocks', adminToken)).status).toBe(200);
    await service.services.accounts.setRole('root@example.com', 'user');
    try {
      expect((await call('GET', '/api/admin/blocks', adminToken)).status).toBe(403);
    } finally {
      await service.services.accounts.setRole('root@example.com', 'admin');
    }
  });

  it('blocks an IP by hand, lists it with evidence and expiry, and unblocks it', async () => {
    const created = await call('POST', '/api/admin/blocks', adminToken, {
      ip: '203.0.113.7',
      reason: 'abuse report 42',
      durationSeconds: 600,
    });
    expect(created.status).toBe(201);
    const block = await readJson(created);
    expect(block).toMatchObject({ ip: '203.0.113.7', rule: 'manual', manual: true });
    expect(Date.parse(block.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    const list = await readJson(await call('GET', '/api/admin/blocks', adminToken));
    expect(list.blocks).toEqual([
      expect.objectContaining({
        ip: '203.0.113.7',
        evidence: expect.objectContaining({ reason: 'abuse report 42' }),
      }),
    ]);
    expect((await call('DELETE', '/api/admin/blocks/203.0.113.7', adminToken)).status).toBe(204);
    expect((await call('DELETE', '/api/admin/blocks/203.0.113.7', adminToken)).status).toBe(404);
    expect((await readJson(await call('GET', '/api/admin/blocks', adminToken))).blocks).toEqual([]);
    const bad = await call('POST', '/api/admin/blocks', adminToken, {
      ip: 'not-an-ip',
      reason: 'x',
      durationSeconds: 60,
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error).toContain('ip');
  });

  it('checks the address as the CLI does, and audits block and unblock with the admin id', async () => {
    for (const [ip, message] of [
      ['hello', /"hello" is not an IPv4 address/],
      ['999.1.1.1', /"999\.1\.1\.1" is not an IPv4 address/],
      ['10.0.0.0/8', /"10\.0\.0\.0\/8" is a range; blocks are per address/],
    ] as const) {
      const refused = await call('POST', '/api/admin/blocks', adminToken, {
        ip,
        reason: 'x',
        durationSeconds: 60,
      });
      expect(refused.status).toBe(400);
      expect((await readJson(refused)).error).toMatch(message);
    }
    const me = await readJson(await call('GET', '/api/auth/me', adminToken));
    const ip = '2001:db8:7:7::1';
    expect(
      (
        await call('POST', '/api/admin/blocks', adminToken, {
          ip,
          reason: 'r',
          durationSeconds: 60,
        })
      ).status,
    ).toBe(201);
    // The key `blocks` shows for an IPv6 client is accepted back for the unblock.
    const key = encodeURIComponent('2001:db8:7:7::/64');
    expect((await call('DELETE', `/api/admin/blocks/${key}`, adminToken)).status).toBe(204);
    await service.services.audit.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await service.services.audit.flush();
    for (const type of ['ip_blocked_manually', 'ip_unblocked_manually']) {
      const page = await readJson(
        await call('GET', `/api/admin/events?type=${type}&ip=2001:db8:7:7::/64`, adminToken),
      );
      expect(page.events).toHaveLength(1);
      expect(page.events[0]).toMatchObject({ userId: me.user.id, details: { actor: me.user.id } });
    }
  });

  it('a manual block refuses logins from that IP', async () => {
    await call('POST', '/api/admin/blocks', adminToken, {
      ip: '127.0.0.1',
      reason: 'test',
      durationSeconds: 60,
    });
    try {
      const refused = await call('POST', '/api/auth/login', undefined, {
        email: 'plain@example.com',
        password: 'user passphrase 1',
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).not.toBeNull();
    } finally {
      expect((await call('DELETE', '/api/admin/blocks/127.0.0.1', adminToken)).status).toBe(204);
    }
  });

  it('lists security events newest first with filters and cursor pagination', async () => {
    const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    for (const ip of ips) {
      await call('POST', '/api/admin/blocks', adminToken, {
        ip,
        reason: 'page',
        durationSeconds: 60,
      });
    }
    await service.services.audit.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await service.services.audit.flush();
    const first = await readJson(
      await call('GET', '/api/admin/events?type=ip_blocked_manually&limit=2', adminToken),
    );
    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await readJson(
      await call(
        'GET',
        `/api/admin/events?type=ip_blocked_manually&limit=2&cursor=${first.nextCursor}`,
        adminToken,
      ),
    );
    const seen = [...first.events, ...second.events].map((e: { ip: string }) => e.ip);
    expect(seen).toEqual(expect.arrayContaining(ips));
    expect(new Set(seen).size).toBe(seen.length);
    const byIp = await readJson(await call('GET', '/api/admin/events?ip=198.51.100.2', adminToken));
    expect(byIp.events.every((e: { ip: string }) => e.ip === '198.51.100.2')).toBe(true);
    const future = await readJson(
      await call('GET', '/api/admin/events?since=2999-01-01T00:00:00Z', adminToken),
    );
    expect(future.events).toEqual([]);
    expect((await call('GET', '/api/admin/events?cursor=garbage', adminToken)).status).toBe(400);
    expect((await call('GET', '/api/admin/events?severity=apocalyptic', adminToken)).status).toBe(
      400,
    );
    for (const ip of ips) await call('DELETE', `/api/admin/blocks/${ip}`, adminToken);
  });

  it('deletes an account: sessions revoked, audited with the admin, 404 when gone', async () => {
    const signup = await call('POST', '/api/auth/signup', undefined, {
      email: 'leaving@example.com',
      password: 'leaving passphrase 7',
      name: 'Leaving',
    });
    // 201, not a 429 left by the manual block of 127.0.0.1 that an earlier test lifted.
    expect(signup.status).toBe(201);
    const victim = await readJson(signup);
    const path = `/api/admin/users/${victim.user.id}`;
    expect((await call('DELETE', path, userToken)).status).toBe(403);
    expect((await call('DELETE', path, adminToken)).status).toBe(204);
    expect((await call('DELETE', path, adminToken)).status).toBe(404);
    const refresh = await call('POST', '/api/auth/refresh', undefined, {
      refreshToken: victim.refreshToken,
    });
    expect(refresh.status).toBe(401);
    expect((await call('GET', '/api/auth/me', victim.accessToken)).status).toBe(401);
    await service.services.audit.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await service.services.audit.flush();
    const me = await readJson(await call('GET', '/api/auth/me', adminToken));
    const page = await readJson(
      await call('GET', '/api/admin/events?type=user_deleted', adminToken),
    );
    expect(page.events).toEqual([
      expect.objectContaining({
        userId: victim.user.id,
        details: expect.objectContaining({ actor: me.user.id, revokedTokens: 1 }),
      }),
    ]);
  });

  describe('flux-auth verify', () => {
    const leftovers = async () => {
      const users = await db.handle.db
        .selectFrom('users')
        .select('id')
        .where('email', 'like', 'verify-bot-%')
        .execute();
      const blocks = (await readJson(await call('GET', '/api/admin/blocks', adminToken))).blocks;
      return { users: users.length, blocks: blocks.length };
    };

    it('passes every check against a protected instance, then removes what it created', async () => {
      const checks = await verifyInstance(new URL(service.url), {
        adminToken,
        sourceAddresses: { bruteForce: '127.0.9.1', bot: '127.0.9.2' },
      });
      expect(formatVerifyTable(checks)).toMatch(/PASS {2}brute_force/);
      expect(checks.slice(0, 2).map((c) => c.ok)).toEqual([true, true]);
      expect(checks[3]).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^removed 50 verify-bot-\* accounts and 2 IP blocks/),
      });
      expect(await leftovers()).toEqual({ users: 0, blocks: 0 });
      // The bot check's curl requests are logged as suspicious; the audit write is buffered.
      await service.services.audit.flush();
      const agentCheck = await checkSuspiciousAgent(new URL(service.url), adminToken);
      expect(agentCheck.ok).toBe(true);
    });

    it('without a token says what it left behind', async () => {
      const checks = await verifyInstance(new URL(service.url), {
        sourceAddresses: { bruteForce: '127.0.9.3', bot: '127.0.9.4' },
      });
      expect(checks[3]).toMatchObject({
        ok: null,
        detail: expect.stringMatching(
          /^left behind: 50 verify-bot-\* accounts and 2 IP blocks \(127\.0\.9\.3, 127\.0\.9\.4\); pass --admin-token or FLUX_AUTH_ADMIN_TOKEN/,
        ),
      });
      expect(await leftovers()).toEqual({ users: 50, blocks: 2 });
    });
  });
});
