import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, type AttackResponse, retryAfterOf } from '../helpers/attack-client.ts';
import {
  forEachStore,
  type StoreName,
  securityEvents,
  seedAccounts,
  startAttackService,
  wrongPassword,
} from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

const BLOCKED = 'Too many failed attempts. Your IP has been temporarily blocked.';
const INVALID = 'Invalid email or password';

const alice = { email: 'alice@example.com', password: 'alice correct horse 1', name: 'Alice' };
const mallory = { email: 'mallory@example.com', password: 'mallory own passphrase', name: 'M' };
const carol = { email: 'carol@example.com', password: 'carol battery staple', name: 'Carol' };

let db: TestDatabase;
const clients: AttackClient[] = [];

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  // Accounts once per file (hashing is the slow part); every store's service shares the database.
  await seedAccounts(db.handle, [alice, mallory, carol]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await db?.cleanup();
});

// Each store gets its own 127.<n>.x.y range, so audit rows in the shared database stay apart.
const RANGE: Record<StoreName, number> = { memory: 11, redis: 12 };

forEachStore((store) => {
  describe('brute_force over HTTP', () => {
    let service: TestService;
    const client = (host: number, last: number) => {
      const c = new AttackClient(`127.${RANGE[store]}.${host}.${last}`);
      clients.push(c);
      return c;
    };
    const login = (c: AttackClient, body: unknown) => c.post(`${service.url}/api/auth/login`, body);

    beforeAll(async () => {
      service = await startAttackService(db.handle, store);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('blocks the IP at the sixth failure; the right password is refused too, other IPs and token routes are not', async () => {
      const attacker = client(1, 1);
      const first: AttackResponse[] = [];
      for (let i = 0; i < 5; i += 1) first.push(await login(attacker, wrongPassword(alice, i)));
      for (const res of first) {
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: INVALID });
      }

      const sixth = await login(attacker, wrongPassword(alice, 6));
      expect(sixth.status).toBe(429);
      expect(sixth.body).toEqual({ error: BLOCKED, code: expect.any(String) });
      expect(retryAfterOf(sixth)).toBeGreaterThanOrEqual(3590);
      expect(retryAfterOf(sixth)).toBeLessThanOrEqual(3600);

      // Still blocked for the right password: the check never runs for a blocked IP.
      const right = await login(attacker, alice);
      expect(right.status).toBe(429);
      expect(right.body.error).toBe(BLOCKED);
      expect(retryAfterOf(right)).toBeGreaterThanOrEqual(3590);

      // Another IP is unaffected.
      const neighbour = client(1, 2);
      const session = await login(neighbour, alice);
      expect(session.status).toBe(200);
      expect(typeof session.body.accessToken).toBe('string');

      // Token routes from the blocked address still work (a NAT neighbour keeps their session).
      const me = await attacker.get(`${service.url}/api/auth/me`, {
        authorization: `Bearer ${session.body.accessToken}`,
      });
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(alice.email);
      const refreshed = await attacker.post(`${service.url}/api/auth/refresh`, {
        refreshToken: session.body.refreshToken,
      });
      expect(refreshed.status).toBe(200);
      expect(typeof refreshed.body.refreshToken).toBe('string');

      const blocks = await service.services.detector.listBlocks();
      const key = service.services.detector.clientKey(attacker.localAddress);
      expect(blocks.map((b) => b.ipKey)).toContain(key);
      expect(blocks.map((b) => b.ipKey)).not.toContain(
        service.services.detector.clientKey(neighbour.localAddress),
      );
    });

    it('records a brute_force event with the counters and thresholds', async () => {
      const attacker = client(1, 1); // blocked by the test above
      const events = await securityEvents(service, 'brute_force', attacker.localAddress);
      expect(events.length).toBeGreaterThanOrEqual(1);
      const event = events.find((e) => e.details.action === 'block') ?? events[0];
      expect(['high', 'medium']).toContain(event?.severity);
      expect(event?.rule).toBe('brute_force');
      expect(event?.details).toMatchObject({
        limit: 5,
        windowMs: 300_000,
        blockSeconds: 3600,
        failures: expect.any(Number),
      });
      expect(event?.details.failures).toBeGreaterThanOrEqual(5);
      expect(typeof event?.request_id).toBe('string');
    });

    it('four typos, a success, two typos: never blocked', async () => {
      const user = client(2, 1);
      for (let i = 0; i < 4; i += 1)
        expect((await login(user, wrongPassword(carol, i))).status).toBe(401);
      expect((await login(user, carol)).status).toBe(200);
      for (let i = 0; i < 2; i += 1)
        expect((await login(user, wrongPassword(carol, i))).status).toBe(401);
      expect((await login(user, carol)).status).toBe(200);
      const blocks = await service.services.detector.listBlocks();
      expect(blocks.map((b) => b.ipKey)).not.toContain(
        service.services.detector.clientKey(user.localAddress),
      );
    });

    it("a correct login to the attacker's own account does not clear failures against the victim", async () => {
      const attacker = client(3, 1);
      for (let i = 0; i < 4; i += 1) {
        expect((await login(attacker, wrongPassword(alice, i))).status).toBe(401);
      }
      expect((await login(attacker, mallory)).status).toBe(200);
      expect((await login(attacker, wrongPassword(alice, 5))).status).toBe(401);
      const sixth = await login(attacker, wrongPassword(alice, 6));
      expect(sixth.status).toBe(429);
      expect(sixth.body.error).toBe(BLOCKED);
    });
  });
});
