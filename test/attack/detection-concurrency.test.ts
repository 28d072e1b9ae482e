import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttackClient, countStatuses } from '../helpers/attack-client.ts';
import {
  describeWithRedis,
  securityEvents,
  startAttackService,
  uniquePrefix,
} from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

const victim = { email: 'victim@example.com', password: 'victim correct horse', name: 'V' };

describeWithRedis('1,000 concurrent failed logins across three instances sharing Redis', () => {
  let db: TestDatabase;
  const services: TestService[] = [];
  let attacker: AttackClient;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    const prefix = uniquePrefix();
    for (let i = 0; i < 3; i += 1) {
      services.push(await startAttackService(db.handle, 'redis', { redisKeyPrefix: prefix }));
    }
    await services[0]?.services.accounts.signup(victim);
    // One source address, keep-alive sockets (the agent pools per server).
    attacker = new AttackClient('127.31.0.1', { maxSockets: 50 });
  }, 60_000);

  afterAll(async () => {
    attacker?.close();
    // Only the last close drops the shared keys; closing in order is fine.
    for (const service of services) await service.close();
    await db?.cleanup();
  });

  it('exactly five reach the password check; the rest get 429, none 5xx', async () => {
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const service = services[i % 3] as TestService;
        return attacker.post(`${service.url}/api/auth/login`, {
          email: victim.email,
          password: `wrong guess ${i}`,
        });
      }),
    );
    const counts = countStatuses(responses);
    const degraded = await Promise.all(
      services.map(async (s) => (await securityEvents(s, 'detection_store_degraded')).length),
    );
    // Diagnostics in the message: a store that fell back to memory mid-burst explains extra 401s.
    const context = `statuses ${JSON.stringify(counts)}, detection_store_degraded events ${degraded}`;
    expect(
      responses.filter((r) => r.status >= 500),
      context,
    ).toHaveLength(0);
    // Every 401 is one argon2 verify: exactly the limit got past the detector.
    expect(counts[401], context).toBe(5);
    expect(counts[429], context).toBe(995);
    for (const res of responses.filter((r) => r.status === 429)) {
      expect(res.headers['retry-after']).toBeDefined();
    }
  }, 60_000);
});
