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

// One login passes the detection hooks once before its handler and once after it: the memory
// refusal (no body) and the precheck (body) before; one record after, on every outcome.
describe('detection hook passes per request', () => {
  let db: TestDatabase;
  let service: TestService;
  let app: App;
  const calls: string[] = [];

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
        precheckFromMemory: (attempt) => {
          calls.push('memory');
          return detector.precheckFromMemory(attempt);
        },
        precheck: (attempt) => {
          calls.push('precheck');
          return detector.precheck(attempt);
        },
        record: (ticket, outcome) => {
          calls.push(`record:${outcome.kind}`);
          return detector.record(ticket, outcome);
        },
      },
    });
    const ok = await app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'passes@example.com', password: 'correct horse 42 battery', name: 'P' },
    });
    expect(ok.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await db?.cleanup();
  });

  const login = (payload: object) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload,
      remoteAddress: `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    });

  it('a failed login: memory, precheck, one record of the failure; its quota is the one after it', async () => {
    calls.length = 0;
    const res = await login({ email: ' Passes@Example.com ', password: 'wrong password 1' });
    expect(res.statusCode).toBe(401);
    expect(calls).toEqual(['memory', 'precheck', 'record:login_failed']);
    expect(res.headers.ratelimit).toMatch(/r=4;/);
  });

  it('a successful login with a differently spelled e-mail: one record of the success', async () => {
    calls.length = 0;
    const res = await login({ email: 'PASSES@example.com', password: 'correct horse 42 battery' });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual(['memory', 'precheck', 'record:login_succeeded']);
  });

  it('a login that fails validation after the precheck: the one pass after it releases', async () => {
    calls.length = 0;
    const res = await login({ email: 'passes@example.com' });
    expect(res.statusCode).toBe(400);
    expect(calls).toEqual(['memory', 'precheck', 'record:other']);
  });
});

describe('detection hooks on the login route', () => {
  it('one hook before the body (memory), one before the handler (precheck), one after (record)', async () => {
    const db = await openSqliteTestDatabase();
    const service = await createTestService(db.handle);
    const app = await buildApp({
      accounts: service.services.accounts,
      tokens: service.services.tokens,
      readiness: async () => ({ database: { status: 'ok' } }),
      jwks: () => null,
      detector: service.services.detector,
    });
    try {
      await app.ready();
      const tree = app.printRoutes({ commonPrefix: false, includeHooks: true });
      const login = tree.slice(tree.indexOf('/api/auth/login'));
      const block = login.slice(0, login.indexOf('/api/', 5));
      const ours = ['refuseFromMemory', 'precheck', 'record', 'release'];
      const named = ours.filter((name) => block.includes(`"${name}()"`));
      expect(named).toEqual(['refuseFromMemory', 'precheck', 'record']);
    } finally {
      await app.close();
      await service.close();
      await db.cleanup();
    }
  });
});
