import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttackClient } from '../helpers/attack-client.ts';
import { describeWithRedis, securityEvents, startAttackService } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

const owner = { email: 'lag@example.com', password: 'lag correct horse', name: 'Lag' };

/** Busy-waits `ms` on the event loop (what a CPU-bound burst or a GC pause does). */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

// SPEC §3: limits are never more than configured; on a slow Redis the in-process fallback
// still holds them per instance. A busy event loop (load the attacker creates) must not hand
// the attacker a fresh, empty counter.
describeWithRedis('a busy event loop with a healthy Redis', () => {
  let db: TestDatabase;
  let service: TestService;
  let attacker: AttackClient;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await startAttackService(db.handle, 'redis', { redisProbeIntervalMs: 100 });
    await service.services.accounts.signup(owner);
    attacker = new AttackClient('127.61.0.1');
  });
  afterAll(async () => {
    attacker?.close();
    await service?.close();
    await db?.cleanup();
  });

  it('does not let more than five wrong passwords from one IP reach the password check', async () => {
    const guess = async (i: number) =>
      (
        await attacker.post(`${service.url}/api/auth/login`, {
          email: owner.email,
          password: `wrong guess ${i}`,
        })
      ).status;
    const statuses: number[] = [];
    // Three failures counted in Redis while the process is idle.
    for (let i = 0; i < 3; i += 1) statuses.push(await guess(i));
    // Then the process gets busy: 60 ms of CPU work right after each request is taken in (in
    // the check phase, after the handler has sent its Redis command). Redis itself still
    // answers in ~1 ms; the reply just waits behind the busy loop.
    let isBusy = true;
    const onRequest = () => {
      if (isBusy) setImmediate(() => stall(60));
    };
    service.app.server.on('request', onRequest);
    try {
      for (let i = 3; i < 15; i += 1) statuses.push(await guess(i));
    } finally {
      isBusy = false;
      service.app.server.off('request', onRequest);
    }
    const degraded = await securityEvents(service, 'detection_store_degraded');
    const recovered = await securityEvents(service, 'detection_store_recovered');
    const context = `statuses ${statuses.join(',')}; detection_store_degraded ${degraded.length}, recovered ${recovered.length}`;
    expect(statuses.filter((s) => s === 401).length, context).toBe(5);
    expect(statuses.slice(0, 6), context).toEqual([401, 401, 401, 401, 401, 429]);
  }, 60_000);
});
