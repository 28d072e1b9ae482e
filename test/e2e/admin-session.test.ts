import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const ADMIN = { email: 'chief@example.com', password: 'chief passphrase 77' };
const PLAIN = { email: 'plain@example.com', password: 'plain passphrase 77' };
const IDLE_MINUTES = 30;

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  let service: TestService;
  let now = Date.parse('2026-03-01T12:00:00Z');
  let adminToken: string;
  let adminId: string;
  let nextIp = 10;

  // Each call from its own client IP (through the trusted proxy) unless one is given.
  const call = (
    method: string,
    path: string,
    options: { cookie?: string; csrf?: string; token?: string; body?: unknown; ip?: string } = {},
  ) =>
    fetch(`${service.url}${path}`, {
      method,
      headers: {
        'x-forwarded-for': options.ip ?? `198.51.100.${nextIp++}`,
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
  const signIn = async (who = ADMIN) => {
    const res = await call('POST', '/api/admin/session', { body: who });
    const setCookie = res.headers.get('set-cookie') ?? '';
    return { res, setCookie, cookie: setCookie.split(';')[0] ?? '', body: await readJson(res) };
  };

  beforeAll(async () => {
    db = await open();
    service = await createTestService(db.handle, {
      clock: () => now,
      env: { TRUST_PROXY: '127.0.0.1/32', ADMIN_SESSION_IDLE_MINUTES: String(IDLE_MINUTES) },
    });
    await service.listen();
    await call('POST', '/api/auth/signup', { body: { ...ADMIN, name: 'Chief' } });
    await call('POST', '/api/auth/signup', { body: { ...PLAIN, name: 'Plain' } });
    adminId = (await service.services.accounts.setRole(ADMIN.email, 'admin'))?.id ?? '';
    adminToken = (await readJson(await call('POST', '/api/auth/login', { body: ADMIN })))
      .accessToken;
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  describe('dashboard sign-in', () => {
    it('sets an httpOnly SameSite=Strict cookie for the admin API path, Secure only over https (no PUBLIC_URL)', async () => {
      const { res, setCookie, body } = await signIn();
      expect(res.status).toBe(200);
      expect(setCookie).toMatch(/^flux_admin_session=[A-Za-z0-9_-]{43};/);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);
      expect(setCookie).toMatch(/Path=\/api\/admin/);
      expect(setCookie).not.toMatch(/Secure/i);
      expect(body.user.email).toBe(ADMIN.email);
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.idleMinutes).toBe(IDLE_MINUTES);

      const https = await fetch(`${service.url}/api/admin/session`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': '198.51.100.250',
          'x-forwarded-proto': 'https',
        },
        body: JSON.stringify(ADMIN),
      });
      expect(https.status).toBe(200);
      expect(https.headers.get('set-cookie')).toMatch(/; Secure/i);
    });

    it('refuses a non-admin with 403 and no cookie, and a wrong password with 401', async () => {
      const plain = await signIn(PLAIN);
      expect(plain.res.status).toBe(403);
      expect(plain.setCookie).toBe('');
      expect(plain.body.error).toMatch(/not an admin/);
      const wrong = await signIn({ email: ADMIN.email, password: 'not the passphrase' });
      expect(wrong.res.status).toBe(401);
      expect(wrong.setCookie).toBe('');
    });

    it('goes through the login detector: the sixth wrong password from one IP is blocked', async () => {
      const ip = '203.0.113.66';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const res = await call('POST', '/api/admin/session', {
          ip,
          body: { email: ADMIN.email, password: `wrong guess ${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const right = await call('POST', '/api/admin/session', { ip, body: ADMIN });
      expect(right.status).toBe(429);
      expect(right.headers.get('set-cookie')).toBeNull();
    });
  });

  describe('behind a TLS-terminating proxy left out of TRUST_PROXY', () => {
    // The request arrives as plain http, without forwarding headers: only an https PUBLIC_URL
    // says that the browser used https.
    const signInOverPlainHttp = async (env: Record<string, string>) => {
      const other = await createTestService(db.handle, { clock: () => now, env });
      try {
        const res = await fetch(`${await other.listen()}/api/admin/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(ADMIN),
        });
        expect(res.status).toBe(200);
        const setCookie = res.headers.get('set-cookie') ?? '';
        expect(setCookie).toMatch(/^flux_admin_session=[A-Za-z0-9_-]{43};/);
        return setCookie;
      } finally {
        await other.close();
      }
    };

    it('makes the cookie Secure when PUBLIC_URL is https', async () => {
      expect(await signInOverPlainHttp({ PUBLIC_URL: 'https://auth.example.com' })).toMatch(
        /; Secure/i,
      );
    });

    it('leaves Secure out when PUBLIC_URL is http or unset', async () => {
      expect(await signInOverPlainHttp({ PUBLIC_URL: 'http://auth.internal:3000' })).not.toMatch(
        /Secure/i,
      );
      expect(await signInOverPlainHttp({})).not.toMatch(/Secure/i);
    });
  });

  describe('admin API with the session cookie', () => {
    it('reads with the cookie alone; changes state only with the CSRF token', async () => {
      const { cookie, body } = await signIn();
      expect((await call('GET', '/api/admin/blocks', { cookie })).status).toBe(200);
      const block = { ip: '192.0.2.77', reason: 'dashboard test', durationSeconds: 600 };
      const missing = await call('POST', '/api/admin/blocks', { cookie, body: block });
      expect(missing.status).toBe(403);
      expect((await readJson(missing)).error).toMatch(/CSRF/);
      const forged = await call('POST', '/api/admin/blocks', {
        cookie,
        csrf: 'A'.repeat(43),
        body: block,
      });
      expect(forged.status).toBe(403);
      expect((await call('DELETE', '/api/admin/session', { cookie })).status).toBe(403);
      const blocks = await readJson(await call('GET', '/api/admin/blocks', { cookie }));
      expect(blocks.blocks.map((b: { ip: string }) => b.ip)).not.toContain(block.ip);

      const ok = await call('POST', '/api/admin/blocks', {
        cookie,
        csrf: body.csrfToken,
        body: block,
      });
      expect(ok.status).toBe(201);
      await service.services.audit.flush();
      const events = await readJson(
        await call('GET', '/api/admin/events?type=ip_blocked_manually', { token: adminToken }),
      );
      expect(events.events[0].userId).toBe(adminId);
      expect(events.events[0].ip).toBe(block.ip);
      const lifted = await call('DELETE', `/api/admin/blocks/${block.ip}`, {
        cookie,
        csrf: body.csrfToken,
      });
      expect(lifted.status).toBe(204);
    });

    it("refuses another session's CSRF token", async () => {
      const one = await signIn();
      const two = await signIn();
      const res = await call('POST', '/api/admin/policy/validate', {
        cookie: one.cookie,
        csrf: two.body.csrfToken,
        body: { text: '{}' },
      });
      expect(res.status).toBe(403);
    });

    it('leaves bearer-token admin calls as they were: no cookie, no CSRF token', async () => {
      const res = await call('POST', '/api/admin/blocks', {
        token: adminToken,
        body: { ip: '192.0.2.78', reason: 'cli-like', durationSeconds: 60 },
      });
      expect(res.status).toBe(201);
      expect(
        (await call('DELETE', '/api/admin/blocks/192.0.2.78', { token: adminToken })).status,
      ).toBe(204);
    });

    it('refuses a cookie that names no session, and a session whose admin was demoted', async () => {
      const bogus = await call('GET', '/api/admin/blocks', {
        cookie: `flux_admin_session=${'x'.repeat(43)}`,
      });
      expect(bogus.status).toBe(401);
      expect((await readJson(bogus)).error).toMatch(/session expired or signed out/);

      await call('POST', '/api/auth/signup', {
        body: { email: 'deputy@example.com', password: 'deputy passphrase 77', name: 'Deputy' },
      });
      await service.services.accounts.setRole('deputy@example.com', 'admin');
      const deputy = await signIn({
        email: 'deputy@example.com',
        password: 'deputy passphrase 77',
      });
      expect((await call('GET', '/api/admin/events', { cookie: deputy.cookie })).status).toBe(200);
      await service.services.accounts.setRole('deputy@example.com', 'user');
      const demoted = await call('GET', '/api/admin/events', { cookie: deputy.cookie });
      expect(demoted.status).toBe(403);
      expect(await readJson(demoted)).not.toHaveProperty('events');
    });
  });

  describe('GET /api/admin/stats', () => {
    it('answers buckets for a valid window and 400 naming the field otherwise', async () => {
      const from = new Date(now - 3 * 3_600_000).toISOString();
      const to = new Date(now).toISOString();
      const ok = await call('GET', `/api/admin/stats?from=${from}&to=${to}&bucket=hour`, {
        token: adminToken,
      });
      expect(ok.status).toBe(200);
      const { buckets } = await readJson(ok);
      expect(buckets.length).toBeGreaterThanOrEqual(3);
      expect(buckets[0]).toEqual({
        start: expect.any(String),
        failedLogins: expect.any(Number),
        blocks: expect.any(Number),
        throttles: expect.any(Number),
        alerts: expect.any(Number),
      });
      for (const [query, field] of [
        [`from=nope&to=${to}&bucket=hour`, 'from'],
        [`from=${from}&to=${to}&bucket=fortnight`, 'bucket'],
        [`from=2020-01-01T00:00:00Z&to=${to}&bucket=minute`, 'bucket'],
        [`from=${to}&to=${from}&bucket=hour`, 'to'],
        [`to=${to}&bucket=hour`, 'from'],
      ] as const) {
        const res = await call('GET', `/api/admin/stats?${query}`, { token: adminToken });
        expect(res.status, query).toBe(400);
        expect((await readJson(res)).error).toContain(field);
      }
      const anonymous = await call('GET', `/api/admin/stats?from=${from}&to=${to}&bucket=hour`);
      expect(anonymous.status).toBe(401);
    });
  });

  describe('idle timeout and sign-out', () => {
    it('ends a session idle for ADMIN_SESSION_IDLE_MINUTES; use slides it, background polls do not', async () => {
      const { cookie } = await signIn();
      now += (IDLE_MINUTES - 1) * 60_000;
      expect((await call('GET', '/api/admin/blocks', { cookie })).status).toBe(200);
      now += (IDLE_MINUTES - 1) * 60_000;
      const background = await fetch(`${service.url}/api/admin/events`, {
        headers: { cookie, 'x-flux-background': '1' },
      });
      expect(background.status).toBe(200);
      now += 2 * 60_000;
      const expired = await call('GET', '/api/admin/blocks', { cookie });
      expect(expired.status).toBe(401);
      expect(await readJson(expired)).not.toHaveProperty('blocks');
      // Ended sessions left behind without sign-out are swept at the next sign-in.
      const count = async () =>
        (
          await service.services.database.db
            .selectFrom('admin_sessions')
            .select('id_hash')
            .execute()
        ).length;
      await service.services.database.db
        .insertInto('admin_sessions')
        .values({
          id_hash: 'f'.repeat(64),
          user_id: adminId,
          created_at: now - 60 * 60_000,
          last_seen_at: now - (IDLE_MINUTES + 1) * 60_000,
          expires_at: now + 60 * 60_000,
        })
        .execute();
      const before = await count();
      await signIn();
      expect(await count()).toBeLessThan(before + 1);
      const left = await service.services.database.db
        .selectFrom('admin_sessions')
        .select('id_hash')
        .where('id_hash', '=', 'f'.repeat(64))
        .execute();
      expect(left).toEqual([]);
    });

    it('signs out: the session is deleted and the cookie cleared', async () => {
      const { cookie, body } = await signIn();
      const out = await call('DELETE', '/api/admin/session', { cookie, csrf: body.csrfToken });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^flux_admin_session=;/);
      const state = await call('GET', '/api/admin/session', { cookie });
      expect(state.status).toBe(200);
      expect(await readJson(state)).toEqual({ signedIn: false });
      expect((await call('GET', '/api/admin/blocks', { cookie })).status).toBe(401);
    });
  });
});
