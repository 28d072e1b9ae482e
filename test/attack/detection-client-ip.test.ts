import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, type AttackResponse } from '../helpers/attack-client.ts';
import {
  forEachStore,
  type StoreName,
  seedAccounts,
  startAttackService,
  wrongPassword,
} from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

const BLOCKED = 'Too many failed attempts. Your IP has been temporarily blocked.';

const rotated = { email: 'rotated@example.com', password: 'rotated correct horse', name: 'R' };
const framed = { email: 'framed@example.com', password: 'framed correct horse', name: 'F' };
const sixfour = { email: 'sixfour@example.com', password: 'sixfour correct horse', name: 'S' };

let db: TestDatabase;
const clients: AttackClient[] = [];

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  await seedAccounts(db.handle, [rotated, framed, sixfour]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await db?.cleanup();
});

const RANGE: Record<StoreName, number> = { memory: 41, redis: 42 };

forEachStore((store) => {
  const client = (host: number, last: number) => {
    const c = new AttackClient(`127.${RANGE[store]}.${host}.${last}`);
    clients.push(c);
    return c;
  };

  describe('without a trusted proxy (X-Forwarded-For ignored)', () => {
    let service: TestService;
    const login = (c: AttackClient, body: unknown, headers: Record<string, string> = {}) =>
      c.post(`${service.url}/api/auth/login`, body, headers);

    beforeAll(async () => {
      service = await startAttackService(db.handle, store);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('rotating X-Forwarded-For does not escape the block of the socket address', async () => {
      const attacker = client(1, 1);
      const responses: AttackResponse[] = [];
      for (let i = 0; i < 10; i += 1) {
        responses.push(
          await login(attacker, wrongPassword(rotated, i), {
            'x-forwarded-for': `198.51.100.${i + 1}`,
          }),
        );
      }
      expect(responses.map((r) => r.status)).toEqual([
        401, 401, 401, 401, 401, 429, 429, 429, 429, 429,
      ]);
      expect(responses[5]?.body.error).toBe(BLOCKED);
      const keys = (await service.services.detector.listBlocks()).map((b) => b.ipKey);
      expect(keys).toContain(service.services.detector.clientKey(attacker.localAddress));
      expect(keys).not.toContain(service.services.detector.clientKey('198.51.100.1'));
    });

    it('a forged X-Forwarded-For naming the victim does not get the victim blocked', async () => {
      const victim = client(2, 1);
      const attacker = client(2, 2);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        const res = await login(attacker, wrongPassword(framed, i), {
          'x-forwarded-for': victim.localAddress,
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      const ok = await login(victim, framed);
      expect(ok.status).toBe(200);
      const keys = (await service.services.detector.listBlocks()).map((b) => b.ipKey);
      expect(keys).not.toContain(service.services.detector.clientKey(victim.localAddress));
      expect(keys).toContain(service.services.detector.clientKey(attacker.localAddress));
    });
  });

  describe('behind a trusted loopback proxy (TRUST_PROXY=loopback)', () => {
    let service: TestService;
    let proxy: AttackClient;
    const login = (body: unknown, forwardedFor: string) =>
      proxy.post(`${service.url}/api/auth/login`, body, { 'x-forwarded-for': forwardedFor });

    beforeAll(async () => {
      service = await startAttackService(db.handle, store, { env: { TRUST_PROXY: 'loopback' } });
      proxy = client(3, 1);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('addresses rotated inside one IPv6 /64 share one counter; another /64 is not blocked', async () => {
      const inside = [
        '2001:db8:1:2::1',
        '2001:db8:1:2::ffff',
        '2001:db8:1:2:aaaa::9',
        '2001:db8:1:2:ffff:ffff:ffff:fffe',
        '2001:db8:1:2:1234:5678:9abc:def0',
        '2001:db8:1:2::2',
      ];
      const statuses: number[] = [];
      for (const [i, address] of inside.entries()) {
        statuses.push((await login(wrongPassword(sixfour, i), address)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // Yet another address of the same /64, with the right password: still blocked.
      const same = await login(sixfour, '2001:db8:1:2:dead:beef::1');
      expect(same.status).toBe(429);
      expect(same.body.error).toBe(BLOCKED);
      // The neighbouring /64 and the proxy's own address are not blocked.
      expect((await login(sixfour, '2001:db8:1:3::1')).status).toBe(200);
      const keys = (await service.services.detector.listBlocks()).map((b) => b.ipKey);
      expect(keys).toContain(service.services.detector.clientKey('2001:db8:1:2::1'));
      expect(keys).not.toContain(service.services.detector.clientKey('2001:db8:1:3::1'));
      expect(keys).not.toContain(service.services.detector.clientKey(proxy.localAddress));
    });
  });
});
