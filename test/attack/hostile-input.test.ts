import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, generousPolicy, type TestService } from '../helpers/test-service.ts';

describe('attack: hostile input', () => {
  let db: TestDatabase;
  let service: TestService;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    // Input handling is under test here, not rate limits: the limits are raised out of the way.
    service = await createTestService(db.handle, { policy: generousPolicy() });
    await service.listen();
    await send('/api/auth/signup', {
      email: 'known@example.com',
      password: 'known user passphrase',
      name: 'Known',
    });
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  function send(path: string, body: unknown, contentType = 'application/json') {
    return fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('answers unknown email and wrong password with the same status, body and headers', async () => {
    const unknown = await send('/api/auth/login', {
      email: 'nobody@example.com',
      password: 'whatever pass 1',
    });
    const wrong = await send('/api/auth/login', {
      email: 'known@example.com',
      password: 'whatever pass 1',
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await unknown.text()).toBe(await wrong.text());
    const comparable = (res: Response) =>
      [...res.headers.entries()]
        .filter(([name]) => !['date', 'x-request-id', 'ratelimit'].includes(name))
        .sort(([a], [b]) => a.localeCompare(b));
    expect(comparable(unknown)).toEqual(comparable(wrong));
    // RateLimit counts this IP's failures down alike, whether the account exists or not.
    const remaining = (res: Response) =>
      Number(/; r=(\d+);/.exec(res.headers.get('ratelimit') ?? '')?.[1]);
    expect(remaining(unknown) - remaining(wrong)).toBe(1);
  });

  it('treats SQL in the email field as data', async () => {
    for (const email of ["' OR 1=1 --", "known@example.com' --", "x@y.z'; DROP TABLE users; --"]) {
      const res = await send('/api/auth/login', { email, password: 'whatever pass 1' });
      expect([400, 401]).toContain(res.status);
    }
    const still = await send('/api/auth/login', {
      email: 'known@example.com',
      password: 'known user passphrase',
    });
    expect(still.status).toBe(200);
  });

  it('refuses a 1 MB body with 413', async () => {
    const res = await send('/api/auth/login', {
      email: 'a@b.c',
      password: 'x'.repeat(1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect((await readJson(res)).code).toBe('BODY_TOO_LARGE');
  });

  it('refuses deeply nested JSON with a 4xx', async () => {
    const depth = 7000;
    const res = await send('/api/auth/login', `${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const nestedField = await send(
      '/api/auth/login',
      `{"email":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)},"password":"x"}`,
    );
    expect(nestedField.status).toBe(400);
    expect((await readJson(nestedField)).error).toContain('email');
  });

  it('refuses __proto__ and constructor.prototype keys without polluting anything', async () => {
    const proto = await send(
      '/api/auth/signup',
      '{"email":"p@example.com","password":"proto passphrase 1","name":"P","__proto__":{"isAdmin":true}}',
    );
    expect(proto.status).toBe(400);
    expect((await readJson(proto)).code).toBe('INVALID_JSON');
    const ctor = await send(
      '/api/auth/login',
      '{"email":"p@example.com","password":"x","constructor":{"prototype":{"role":"admin"}}}',
    );
    expect(ctor.status).toBe(400);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('names the problem: non-JSON 415, malformed JSON 400, missing and mistyped fields 400', async () => {
    const form = await send(
      '/api/auth/login',
      'email=a&password=b',
      'application/x-www-form-urlencoded',
    );
    expect(form.status).toBe(415);
    const broken = await send('/api/auth/login', '{"email": "a@b.c", "password": "secret-in-json"');
    expect(broken.status).toBe(400);
    const brokenBody = await readJson(broken);
    expect(brokenBody.code).toBe('INVALID_JSON');
    expect(JSON.stringify(brokenBody)).not.toContain('secret-in-json');
    const missing = await send('/api/auth/login', { email: 'a@b.c' });
    expect(missing.status).toBe(400);
    expect((await readJson(missing)).error).toContain('password');
    const typed = await send('/api/auth/signup', { email: 'a@b.c', password: 12345678, name: 'x' });
    expect(typed.status).toBe(400);
    expect((await readJson(typed)).error).toContain('password');
  });

  it('refuses weak passwords with the reason', async () => {
    const common = await send('/api/auth/signup', {
      email: 'w@example.com',
      password: 'Password1',
      name: 'W',
    });
    expect(common.status).toBe(400);
    expect((await readJson(common)).error).toMatch(/common/i);
    const short = await send('/api/auth/signup', {
      email: 'w@example.com',
      password: 'short',
      name: 'W',
    });
    expect(short.status).toBe(400);
    expect((await readJson(short)).error).toMatch(/8/);
  });

  it('survives a body that lies about its length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${service.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '10' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end('{"email":"a@b.c","password":"xxxxxxxx"}');
    });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });
});
