import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttackClient } from '../helpers/attack-client.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// A login refused before the password check (bad email, bad body) is not a failed login:
// its reservation is handed back, so typos in the form never lock a user out.
let db: TestDatabase;
let service: TestService;
const user = { email: 'release@example.com', password: 'release passphrase 1', name: 'R' };

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  service = await createTestService(db.handle);
  await service.listen();
  await service.services.accounts.signup(user);
});
afterAll(async () => {
  await service?.close();
  await db?.cleanup();
});

it('does not count logins refused by validation as failures', async () => {
  const client = new AttackClient('127.44.0.1');
  try {
    const login = `${service.url}/api/auth/login`;
    for (let i = 0; i < 6; i += 1) {
      expect(
        (await client.post(login, { email: `not an email ${i}`, password: 'whatever 1' })).status,
      ).toBe(400);
      expect((await client.post(login, { email: user.email })).status).toBe(400);
    }
    const ok = await client.post(login, { email: user.email, password: user.password });
    expect(ok.status).toBe(200);
  } finally {
    client.close();
  }
});

it('answers a blocked IP before validating its body', async () => {
  const client = new AttackClient('127.44.0.2');
  try {
    const login = `${service.url}/api/auth/login`;
    for (let i = 0; i < 6; i += 1)
      await client.post(login, { email: user.email, password: `wrong ${i} guess` });
    const malformed = await client.post(login, { nonsense: true });
    expect(malformed.status).toBe(429);
    expect(malformed.headers['retry-after']).toBeDefined();
  } finally {
    client.close();
  }
});
