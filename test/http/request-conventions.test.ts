import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await openSqliteTestDatabase();
});
afterAll(async () => {
  await db?.cleanup();
});

async function withService(
  env: Record<string, string>,
  body: (service: TestService, lines: () => Array<Record<string, unknown>>) => Promise<void>,
): Promise<void> {
  const written: string[] = [];
  const service = await createTestService(db.handle, {
    env: { LOG_LEVEL: 'info', ...env },
    logStream: { write: (line) => written.push(line) },
  });
  try {
    await body(service, () => written.map((line) => JSON.parse(line) as Record<string, unknown>));
  } finally {
    await service.close();
  }
}

describe('X-Request-Id', () => {
  it('is taken from a proxy TRUST_PROXY trusts, answered back and logged under requestId', async () => {
    await withService({ TRUST_PROXY: '10.0.0.0/8' }, async (service, lines) => {
      const res = await service.app.inject({
        url: '/health',
        remoteAddress: '10.1.2.3',
        headers: { 'x-request-id': 'lb-7f3a:42' },
      });
      expect(res.headers['x-request-id']).toBe('lb-7f3a:42');
      const logged = lines().filter((line) => line.requestId === 'lb-7f3a:42');
      expect(logged.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    });
  });

  it('is ignored from a peer that is not trusted, or without TRUST_PROXY', async () => {
    const envs: Array<Record<string, string>> = [{ TRUST_PROXY: '10.0.0.0/8' }, {}];
    for (const env of envs) {
      await withService(env, async (service) => {
        const res = await service.app.inject({
          url: '/health',
          remoteAddress: '192.0.2.9',
          headers: { 'x-request-id': 'chosen-by-client' },
        });
        expect(res.headers['x-request-id']).not.toBe('chosen-by-client');
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      });
    }
  });

  it('is replaced when too long or of an unsafe shape, even from a trusted proxy', async () => {
    await withService({ TRUST_PROXY: '1' }, async (service) => {
      for (const bad of ['x'.repeat(65), 'two words', 'quote"d', '']) {
        const res = await service.app.inject({
          url: '/health',
          headers: { 'x-request-id': bad },
        });
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
      const ok = await service.app.inject({
        url: '/health',
        headers: { 'x-request-id': 'x'.repeat(64) },
      });
      expect(ok.headers['x-request-id']).toBe('x'.repeat(64));
    });
  });
});

describe('request log', () => {
  it('carries method, route pattern, status and the request id', async () => {
    await withService({}, async (service, lines) => {
      const res = await service.app.inject({
        method: 'DELETE',
        url: '/api/admin/blocks/192.0.2.1',
      });
      const completed = lines().find((line) => line.msg === 'request completed');
      expect(completed).toMatchObject({
        method: 'DELETE',
        route: '/api/admin/blocks/:ip',
        status: res.statusCode,
        requestId: res.headers['x-request-id'],
      });
      expect(lines().some((line) => 'reqId' in line)).toBe(false);
    });
  });
});

describe('CORS', () => {
  it('answers allowed origins only, and a preflight for login', async () => {
    await withService({ CORS_ORIGINS: 'https://app.example.com' }, async (service) => {
      const allowed = await service.app.inject({
        url: '/health',
        headers: { origin: 'https://app.example.com' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const other = await service.app.inject({
        url: '/health',
        headers: { origin: 'https://evil.example' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await service.app.inject({
        method: 'OPTIONS',
        url: '/api/auth/login',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    });
  });

  it('sends no CORS headers by default', async () => {
    await withService({}, async (service) => {
      const res = await service.app.inject({
        url: '/health',
        headers: { origin: 'https://app.example.com' },
      });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
