import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const ADMIN = { email: 'keeper@example.com', password: 'keeper passphrase 55' };
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
  await fetch(`${service.url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...ADMIN, name: 'Keeper' }),
  });
  await service.services.accounts.setRole(ADMIN.email, 'admin');
});
afterAll(async () => {
  await service?.close();
  await db?.cleanup();
});

it('never logs the session cookie, the CSRF token or the password of a dashboard sign-in', async () => {
  const signIn = await fetch(`${service.url}/api/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  expect(signIn.status).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const session = cookie.split('=')[1] ?? '';
  const { csrfToken } = await readJson(signIn);
  expect(session).toHaveLength(43);
  const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  await fetch(`${service.url}/api/admin/blocks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ ip: '192.0.2.9', reason: 'r', durationSeconds: 60 }),
  });
  await fetch(`${service.url}/api/admin/blocks`, { headers: { cookie } });
  await fetch(`${service.url}/api/admin/session`, { method: 'DELETE', headers });
  await service.services.audit.flush();
  const rows = await service.services.database.db
    .selectFrom('security_events')
    .selectAll()
    .execute();
  expect(lines.length).toBeGreaterThan(3);
  for (const text of [lines.join('\n'), JSON.stringify(rows)]) {
    expect(text).not.toContain(session);
    expect(text).not.toContain(csrfToken);
    expect(text).not.toContain(ADMIN.password);
  }
});
