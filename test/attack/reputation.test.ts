import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AttackClient } from '../helpers/attack-client.ts';
import {
  forEachStore,
  type StoreName,
  seedAccounts,
  startAttackService,
  wrongPassword,
} from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

// The attacker comes back: an IP with two brute-force blocks behind it is blocked after 3
// failures (halved, rounded up) and, after a third, at its first failure; a fresh IP still gets
// exactly 5. An IP on a seed list (REPUTATION_LISTS) starts halved.
const alice = { email: 'alice@example.com', password: 'alice correct horse 1', name: 'Alice' };
const HOUR = 3_600_000;

let db: TestDatabase;
const clients: AttackClient[] = [];
const dir = mkdtempSync(join(tmpdir(), 'flux-rep-attack-'));

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  await seedAccounts(db.handle, [alice]);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await db?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const RANGE: Record<StoreName, number> = { memory: 31, redis: 32 };

forEachStore((store) => {
  describe('reputation tightens brute_force over HTTP', () => {
    let service: TestService;
    let now = Date.now();
    const listed = `127.${RANGE[store]}.9.9`;
    const client = (last: number, host = 1) => {
      const c = new AttackClient(`127.${RANGE[store]}.${host}.${last}`);
      clients.push(c);
      return c;
    };
    /** Wrong passwords until a 429: how many got a 401 first. */
    async function failuresUntilBlocked(c: AttackClient): Promise<number> {
      for (let i = 0; i < 12; i += 1) {
        const res = await c.post(`${service.url}/api/auth/login`, wrongPassword(alice, i));
        if (res.status === 429) return i;
        expect(res.status).toBe(401);
      }
      throw new Error('never blocked');
    }

    const scoreReaches = (ip: string, score: number) =>
      vi.waitFor(
        async () => {
          const { detector } = service.services;
          expect((await detector.reputationOf(ip)).level).toBe(score >= 80 ? 2 : 1);
        },
        { timeout: 10_000, interval: 20 },
      );

    beforeAll(async () => {
      const list = join(dir, `${store}.netset`);
      writeFileSync(list, `# test list\n${listed}\n`);
      service = await startAttackService(db.handle, store, {
        clock: () => now,
        env: { REPUTATION_LISTS: list },
      });
    });
    afterAll(async () => {
      await service?.close();
    });

    it('a fresh IP: exactly 5; the same IP after two blocks: 3; after three: 1', async () => {
      const attacker = client(1);
      expect(await failuresUntilBlocked(attacker)).toBe(5);
      now += HOUR + 1000;
      expect(await failuresUntilBlocked(attacker)).toBe(5);
      now += HOUR + 1000;
      // Scores are written in the background (never on the request's path): wait until stored.
      await scoreReaches(attacker.localAddress, 50);
      expect(await failuresUntilBlocked(attacker)).toBe(3);
      now += HOUR + 1000;
      await scoreReaches(attacker.localAddress, 80);
      expect(await failuresUntilBlocked(attacker)).toBe(1);
      expect(await failuresUntilBlocked(client(2))).toBe(5);
    });

    it('an IP on the seed list: 3', async () => {
      const c = new AttackClient(listed);
      clients.push(c);
      expect(await failuresUntilBlocked(c)).toBe(3);
    });
  });
});
