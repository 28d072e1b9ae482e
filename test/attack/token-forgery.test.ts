import { randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, TEST_JWT_SECRET, type TestService } from '../helpers/test-service.ts';

// The attacker holds one valid session and tries to turn it into more than it is.
describe('attack: forged and misused access tokens', () => {
  let db: TestDatabase;
  let service: TestService;
  let now = Date.parse('2026-11-27T10:00:00Z');
  let session: { accessToken: string; refreshToken: string; user: { id: string } };

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle, { clock: () => now });
    await service.listen();
    const res = await fetch(`${service.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'victim@example.com',
        password: 'victim passphrase 1',
        name: 'V',
      }),
    });
    session = await readJson(res);
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  const me = (token: string) =>
    fetch(`${service.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts the genuine token (control)', async () => {
    expect((await me(session.accessToken)).status).toBe(200);
  });

  it('refuses alg "none"', async () => {
    const claims = decodeJwt(session.accessToken);
    const forged = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ ...claims, role: 'admin' })}.`;
    const res = await me(forged);
    expect(res.status).toBe(401);
    expect((await readJson(res)).code).toBe('UNAUTHENTICATED');
  });

  it('refuses HS256 signed with another key', async () => {
    const claims = decodeJwt(session.accessToken);
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('another-secret-of-sufficient-length-0123456789'));
    expect((await me(forged)).status).toBe(401);
  });

  it('refuses an edited payload (role escalated) under the original signature', async () => {
    const [header, , signature] = session.accessToken.split('.');
    const claims = decodeJwt(session.accessToken);
    const edited = `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`;
    expect((await me(edited)).status).toBe(401);
  });

  it('refuses a token signed with the right key but the wrong issuer or audience', async () => {
    const claims = decodeJwt(session.accessToken);
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const wrongIss = await new SignJWT({ ...claims, iss: 'someone-else' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(key);
    const wrongAud = await new SignJWT({ ...claims, aud: 'another-app' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(key);
    expect((await me(wrongIss)).status).toBe(401);
    expect((await me(wrongAud)).status).toBe(401);
  });

  it('refuses the refresh token used as an access token', async () => {
    expect((await me(session.refreshToken)).status).toBe(401);
  });

  it('refuses a correctly signed token of another type', async () => {
    const claims = decodeJwt(session.accessToken);
    const forged = await new SignJWT({ ...claims, typ: 'refresh' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect((await me(forged)).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const saved = now;
    now += 16 * 60 * 1000;
    try {
      const res = await me(session.accessToken);
      expect(res.status).toBe(401);
      expect(JSON.stringify(await readJson(res))).not.toContain(session.accessToken);
    } finally {
      now = saved;
    }
  });

  it('refuses a malformed Authorization header with 401, never 5xx', async () => {
    for (const header of [
      'Bearer',
      'Basic dXNlcjpwYXNz',
      'Bearer a.b',
      `Bearer ${'x'.repeat(5000)}`,
    ]) {
      const res = await fetch(`${service.url}/api/auth/me`, { headers: { authorization: header } });
      expect(res.status).toBe(401);
    }
  });

  it('refuses made-up refresh tokens without a database lookup', async () => {
    // Token endpoints have no IP block, so each guess used to cost the database a query. With
    // the table out of the way, a lookup would fail (5xx); the tag check answers 401 first.
    const [random, tag] = session.refreshToken.split('.') as [string, string];
    const guesses = [
      randomBytes(32).toString('hex'),
      randomBytes(32).toString('base64url'),
      `${randomBytes(32).toString('base64url')}.${randomBytes(16).toString('base64url')}`,
      `${random}.${randomBytes(16).toString('base64url')}`,
      `${randomBytes(32).toString('base64url')}.${tag}`,
    ];
    const refresh = (refreshToken: string) =>
      fetch(`${service.url}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
    await sql`alter table refresh_tokens rename to refresh_tokens_away`.execute(db.handle.db);
    try {
      for (let round = 0; round < 40; round += 1) {
        for (const guess of guesses) {
          const res = await refresh(guess);
          expect(res.status).toBe(401);
          expect((await readJson(res)).code).toBe('INVALID_REFRESH_TOKEN');
        }
      }
      // Control: the genuine token does need the table, so the check above is not vacuous.
      expect((await refresh(session.refreshToken)).status).toBeGreaterThanOrEqual(500);
    } finally {
      await sql`alter table refresh_tokens_away rename to refresh_tokens`.execute(db.handle.db);
    }
    expect((await refresh(session.refreshToken)).status).toBe(200);
  });
});
