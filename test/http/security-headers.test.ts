import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// Helmet's defaults on every kind of answer: success, validation error, unknown route, and a
// refusal by the detector (answered in preValidation, before any handler).
const EXPECTED: Record<string, string | RegExp> = {
  'content-security-policy': /default-src 'self'/,
  'strict-transport-security': /max-age=\d+/,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
};

describe('security headers', () => {
  let db: TestDatabase;
  let service: TestService;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle);
    await service.listen();
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  function expectSecurityHeaders(res: Response, label: string): void {
    for (const [name, value] of Object.entries(EXPECTED)) {
      expect(res.headers.get(name), `${label}: ${name}`).toMatch(value);
    }
    expect(res.headers.get('x-powered-by'), label).toBeNull();
  }

  const login = (body: unknown) =>
    fetch(`${service.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('are sent on success, 400, 404 and a detector 429', async () => {
    expectSecurityHeaders(await fetch(`${service.url}/health`), '200 /health');
    const invalid = await login({ email: 'not-an-email', password: 'x' });
    expect(invalid.status).toBe(400);
    expectSecurityHeaders(invalid, '400 login');
    const missing = await fetch(`${service.url}/nope`);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing, '404');
    let refused: Response | null = null;
    for (let i = 0; i < 10 && refused === null; i += 1) {
      const res = await login({ email: 'nobody@example.com', password: 'wrong password 1' });
      if (res.status === 429) refused = res;
    }
    expect(refused?.status).toBe(429);
    expectSecurityHeaders(refused as Response, '429 login');
  });
});
