import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, generousPolicy, type TestService } from '../helpers/test-service.ts';

// Bytes that PostgreSQL refuses (NUL) or that confuse parsers must end in a 4xx on both
// dialects, never a 500.
forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  let service: TestService;
  let adminToken = '';

  beforeAll(async () => {
    db = await open();
    service = await createTestService(db.handle, { policy: generousPolicy() });
    await service.listen();
    const admin = { email: 'nul-admin@example.com', password: 'admin passphrase 1', name: 'A' };
    await service.services.accounts.signup(admin);
    await service.services.accounts.setRole(admin.email, 'admin');
    const login = await post('/api/auth/login', { email: admin.email, password: admin.password });
    adminToken = (await readJson(login)).accessToken;
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  function post(path: string, body: unknown, contentType = 'application/json') {
    return fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('answers NUL bytes in every field with 400', async () => {
    const nul = 'a\u0000b';
    const cases: [string, unknown][] = [
      ['/api/auth/signup', { email: 'n@example.com', password: 'fine passphrase 1', name: nul }],
      [
        '/api/auth/signup',
        { email: `n${nul}@example.com`, password: 'fine passphrase 1', name: 'N' },
      ],
      ['/api/auth/login', { email: `x${nul}@example.com`, password: 'whatever 1' }],
      ['/api/auth/refresh', { refreshToken: nul }],
    ];
    for (const [path, body] of cases) {
      const res = await post(path, body);
      expect([400, 401], `${path} ${JSON.stringify(body)}`).toContain(res.status);
    }
    const events = await fetch(`${service.url}/api/admin/events?type=x%00y&ip=1%002`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(events.status).toBe(400);
  });

  it('answers text/plain with 415 and a malformed URL with 400 in the usual shape', async () => {
    const plain = await post('/api/auth/login', '{"email":"a@b.c","password":"x"}', 'text/plain');
    expect(plain.status).toBe(415);
    expect((await readJson(plain)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${service.url}/api/auth/%E0%A4%A`, { method: 'GET' });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body)).toEqual({
      error: 'Malformed request URL',
      code: 'VALIDATION_FAILED',
    });
  });
});
