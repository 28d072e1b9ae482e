import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttackClient } from '../helpers/attack-client.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// A login refused before the password check is not a failed login: a bad email or body holds
// no reservation, and one refused later (503) hands its reservation back, so typos in the form
// or a saturated server never lock a user out.
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

it('hands back the slots of logins answered 503 while hashing is saturated', async () => {
  // One hash at a time and no queue: of five concurrent logins one reaches the password
  // check, four get 503 SERVICE_BUSY and must not stay counted against the IP.
  const busyDb = await openSqliteTestDatabase();
  const busy = await createTestService(busyDb.handle, {
    env: { HASH_MAX_IN_FLIGHT: '1', HASH_MAX_QUEUED: '0' },
  });
  const client = new AttackClient('127.44.0.3', { maxSockets: 8 });
  try {
    await busy.listen();
    await busy.services.accounts.signup(user);
    const login = `${busy.url}/api/auth/login`;
    const burst = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.post(login, { email: user.email, password: `wrong ${i} guess` }),
      ),
    );
    // Typically one 401 and four 503s; which exactly depends on how the requests overlap.
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
    expect(statuses).toContain(503);
    // The 503s' slots are handed back, the 401s stay failures (fewer than five): the owner
    // still gets in. Kept slots would make five and refuse this login as RATE_LIMITED.
    const ok = await client.post(login, { email: user.email, password: user.password });
    expect(ok.status).toBe(200);
  } finally {
    client.close();
    await busy.close();
    await busyDb.cleanup();
  }
});
