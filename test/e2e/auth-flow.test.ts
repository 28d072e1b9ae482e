import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  let service: TestService;
  beforeAll(async () => {
    db = await open();
    service = await createTestService(db.handle);
    await service.listen();
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('signup → login → me → refresh → reuse revokes the family → logout', async () => {
    const signup = await post('/api/auth/signup', {
      email: ' Flow.User@Example.COM ',
      password: 'a perfectly fine passphrase',
      name: 'Flow User',
    });
    expect(signup.status).toBe(201);
    const created = await readJson(signup);
    expect(created.user).toMatchObject({ email: 'flow.user@example.com', role: 'user' });
    expect(created.expiresIn).toBe(900);

    const login = await post('/api/auth/login', {
      email: 'FLOW.USER@example.com',
      password: 'a perfectly fine passphrase',
    });
    expect(login.status).toBe(200);
    const session = await readJson(login);

    const me = await fetch(`${service.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(me.status).toBe(200);
    expect((await readJson(me)).user.id).toBe(created.user.id);

    const first = await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(first.status).toBe(200);
    const rotated = await readJson(first);
    expect(rotated.refreshToken).not.toBe(session.refreshToken);

    const reuse = await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    expect(reuse.status).toBe(401);
    expect(await readJson(reuse)).toEqual({
      error: 'Invalid or expired refresh token',
      code: 'INVALID_REFRESH_TOKEN',
    });
    // The whole family is revoked: the successor no longer works either.
    const successor = await post('/api/auth/refresh', { refreshToken: rotated.refreshToken });
    expect(successor.status).toBe(401);

    await service.services.audit.flush();
    await waitForEvent(service, 'refresh_token_reuse');
    const events = await db.handle.db
      .selectFrom('security_events')
      .selectAll()
      .where('type', '=', 'refresh_token_reuse')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: 'high', user_id: created.user.id });
    expect(JSON.stringify(events[0])).not.toContain(session.refreshToken);

    const other = await readJson(
      await post('/api/auth/login', {
        email: 'flow.user@example.com',
        password: 'a perfectly fine passphrase',
      }),
    );
    const logout = await post('/api/auth/logout', { refreshToken: other.refreshToken });
    expect(logout.status).toBe(204);
    const afterLogout = await post('/api/auth/refresh', { refreshToken: other.refreshToken });
    expect(afterLogout.status).toBe(401);
  });

  it('answers 409 to a second signup with another spelling of the same email', async () => {
    const body = { email: 'dup@example.com', password: 'another fine passphrase', name: 'D' };
    expect((await post('/api/auth/signup', body)).status).toBe(201);
    const again = await post('/api/auth/signup', { ...body, email: 'ＤＵＰ@example.com' });
    expect(again.status).toBe(409);
    expect((await readJson(again)).code).toBe('EMAIL_TAKEN');
  });

  it('serves health, readiness and an OpenAPI document built from the schemas', async () => {
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    const ready = await fetch(`${service.url}/ready`);
    expect(ready.status).toBe(200);
    expect((await readJson(ready)).dependencies.database.status).toBe('ok');
    const doc = await readJson(await fetch(`${service.url}/openapi.json`));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/auth/signup', '/api/auth/login', '/api/auth/me']),
    );
    expect(doc.paths['/api/auth/signup'].post.requestBody).toBeDefined();
  });
});

async function waitForEvent(service: TestService, type: string): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    await service.services.audit.flush();
    const row = await service.services.database.db
      .selectFrom('security_events')
      .select('id')
      .where('type', '=', type)
      .executeTakeFirst();
    if (row) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
