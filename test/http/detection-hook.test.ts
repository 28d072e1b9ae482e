import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/detection/attempt.ts';
import type { App } from '../../src/http/app.ts';
import { buildApp } from '../../src/http/app.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// What the precheck hook hands the detector, seen through a detector that records attempts.
describe('precheck hook', () => {
  let db: TestDatabase;
  let service: TestService;
  let app: App;
  const attempts: Attempt[] = [];

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle);
    const { detector } = service.services;
    app = await buildApp({
      accounts: service.services.accounts,
      tokens: service.services.tokens,
      readiness: async () => ({ database: { status: 'ok' } }),
      jwks: () => null,
      detector: {
        precheck: (attempt) => {
          attempts.push(attempt);
          return detector.precheck(attempt);
        },
        record: (ticket, outcome) => detector.record(ticket, outcome),
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await db?.cleanup();
  });

  const login = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: payload as object });

  it('flags a login certain to be refused before the password check (it holds no slot)', async () => {
    attempts.length = 0;
    expect((await login({ email: 'not-an-email', password: 'whatever 1' })).statusCode).toBe(400);
    expect((await login({ email: 'A@Example.com' })).statusCode).toBe(400);
    expect(
      (await login({ email: ' A@Example.COM ', password: 'wrong password 1' })).statusCode,
    ).toBe(401);
    // NFKC (full-width letters) and a long address of astral characters: over 254 UTF-16
    // units but not over 254 code points. Both reach the password check, so both hold a slot.
    expect(
      (await login({ email: 'ａ@example.com', password: 'wrong password 1' })).statusCode,
    ).toBe(401);
    const astral = `${'\u{1F600}'.repeat(200)}@x.io`;
    expect((await login({ email: astral, password: 'wrong password 1' })).statusCode).toBe(401);
    expect(attempts.map((a) => [a.account, a.isRefusedBeforeCheck?.()])).toEqual([
      ['not-an-email', true],
      ['a@example.com', true],
      ['a@example.com', false],
      ['a@example.com', false],
      [astral, false],
    ]);
  });
});
