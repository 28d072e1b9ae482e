import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, TEST_JWT_SECRET, type TestService } from '../helpers/test-service.ts';

let db: TestDatabase;
let service: TestService;
const lines: string[] = [];

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  service = await createTestService(db.handle, {
    env: { LOG_LEVEL: 'trace' },
    logStream: { write: (line) => lines.push(line) },
  });
  await service.listen();
});
afterAll(async () => {
  await service?.close();
  await db?.cleanup();
});

it('logs every request with its id but never a password, token, secret or cookie', async () => {
  const password = 'Secret-Passphrase-4711';
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: 'session=cookie-value-9876',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const session = await readJson(
    await post('/api/auth/signup', { email: 'log@example.com', password, name: 'L' }),
  );
  await post('/api/auth/login', { email: 'log@example.com', password: `${password}-wrong` });
  await post('/api/auth/refresh', { refreshToken: session.refreshToken });
  await post('/api/auth/refresh', { refreshToken: session.refreshToken });
  await post('/api/auth/login', '{"email":"x@y.z","password":"broken-json-secret-5555"');
  await fetch(`${service.url}/api/auth/me`, {
    headers: { authorization: `Bearer ${session.accessToken}` },
  });
  await service.services.audit.flush();
  const log = lines.join('');
  expect(log).toContain('"requestId"');
  expect(log).not.toContain('"reqId"');
  expect(log).toContain('refresh_token_reuse');
  for (const secret of [
    password,
    session.accessToken,
    session.refreshToken,
    TEST_JWT_SECRET,
    'cookie-value-9876',
    'broken-json-secret-5555',
  ]) {
    expect(log).not.toContain(secret);
  }
});
