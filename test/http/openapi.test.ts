import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

interface Operation {
  operationId?: string;
  summary?: string;
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

describe('OpenAPI document and /docs', () => {
  let db: TestDatabase;
  let service: TestService;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle);
    paths = (await service.app.inject({ url: '/openapi.json' })).json().paths;
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  it('gives every route a unique operationId and a summary', () => {
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(13);
    for (const { at, op } of operations) {
      expect(op.operationId, at).toMatch(/^[a-zA-Z]+$/);
      expect(op.summary, at).toEqual(expect.stringMatching(/\S/));
    }
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(paths).some((p) => p.startsWith('/docs'))).toBe(false);
  });

  it('documents 429 with Retry-After on every auth route, and 503 on signup and login', () => {
    for (const path of ['/api/auth/signup', '/api/auth/login', '/api/auth/refresh']) {
      expect(paths[path]?.post?.responses?.['429']?.headers, path).toHaveProperty('retry-after');
    }
    for (const path of ['/api/auth/signup', '/api/auth/login']) {
      expect(paths[path]?.post?.responses?.['503']?.headers, path).toHaveProperty('retry-after');
    }
  });

  it('serves the docs page as HTML whose scripts the strict CSP allows', async () => {
    const page = await service.app.inject({ url: '/docs' });
    const html =
      page.statusCode === 302
        ? await service.app.inject({ url: String(page.headers.location) })
        : page;
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('swagger-ui');
    expect(String(html.headers['content-security-policy'])).toContain("script-src 'self'");
    // No inline script: every <script> loads a same-origin file.
    expect(html.body).not.toMatch(/<script(?![^>]*\ssrc=")/);
    const initializer = html.body.match(/src="([^"]*swagger-initializer\.js)"/)?.[1];
    expect(initializer).toBeDefined();
  });
});
