import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, countStatuses, retryAfterOf } from '../helpers/attack-client.ts';
import {
  forEachStore,
  type StoreName,
  securityEvents,
  startAttackService,
} from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

const RANGE: Record<StoreName, number> = { memory: 21, redis: 22 };

forEachStore((store) => {
  describe('bot_activity over HTTP', () => {
    let db: TestDatabase;
    let service: TestService;
    let bot: AttackClient;

    beforeAll(async () => {
      db = await openSqliteTestDatabase();
      service = await startAttackService(db.handle, store);
      bot = new AttackClient(`127.${RANGE[store]}.0.1`, { maxSockets: 100 });
    });
    afterAll(async () => {
      bot?.close();
      await service?.close();
      await db?.cleanup();
    });

    it('55 concurrent scripted signups from one IP: exactly 50 created, 5 refused', async () => {
      const run = `${store}-${Date.now()}`;
      const responses = await Promise.all(
        Array.from({ length: 55 }, (_, i) =>
          bot.post(
            `${service.url}/api/auth/signup`,
            {
              email: `bot-${run}-${i}@example.com`,
              password: `a decent passphrase ${i} for a bot`,
              name: `Bot ${i}`,
            },
            { 'user-agent': 'curl/7.68.0' },
          ),
        ),
      );
      expect(countStatuses(responses)).toEqual({ 201: 50, 429: 5 });
      for (const res of responses.filter((r) => r.status === 429)) {
        expect(res.body.error).toBe('Too many signup attempts');
        expect(typeof res.body.code).toBe('string');
        const retryAfter = retryAfterOf(res);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(1800);
      }
      // Exactly fifty accounts exist: no refused signup slipped into the database.
      const users = await service.services.database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('email', 'like', `bot-${run}-%`)
        .executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(50);

      const uaEvents = await securityEvents(service, 'suspicious_user_agent', bot.localAddress);
      expect(uaEvents.length).toBeGreaterThanOrEqual(1);
      expect(uaEvents[0]?.severity).toBe('low');
      expect(uaEvents[0]?.user_agent).toBe('curl/7.68.0');
      expect(uaEvents[0]?.details.category).toBe('http_library');

      const botEvents = await securityEvents(service, 'bot_activity', bot.localAddress);
      expect(botEvents.some((e) => e.details.action === 'block')).toBe(true);
    });
  });
});
