import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, countStatuses } from '../helpers/attack-client.ts';
import { IS_CI, sleep } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import {
  burst,
  eventTimes,
  LoginLoad,
  storeReadiness,
  waitForFleetOnRedis,
  waitForStores,
} from '../helpers/fleet-drills.ts';
import { hasRedisClusterTools, RedisClusterProcesses } from '../helpers/redis-cluster.ts';
import {
  type ServerProcess,
  startServerProcesses,
  stopServerProcesses,
} from '../helpers/server-processes.ts';

// Issue 13: three `flux-auth start` processes with REDIS_CLUSTER=true against a real
// three-master Redis Cluster: the exact limit holds across them, no script ever gets a
// CROSSSLOT answer, and a master killed under load degrades detection and comes back.
const FLEET = 3;
const TRIALS = 3;
const tools = hasRedisClusterTools();
const suite = !tools && !IS_CI ? describe.skip : describe;

suite('three server processes on a three-master Redis Cluster', () => {
  let db: TestDatabase;
  let cluster: RedisClusterProcesses;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    if (!tools) throw new Error('redis-server/redis-cli missing; CI must provide them');
    db = await openSqliteTestDatabase();
    cluster = await RedisClusterProcesses.start(3);
    servers = await startServerProcesses(FLEET, {
      databaseUrl: db.url,
      redisUrl: cluster.url,
      // Three masters, three instances and their hashing threads share a busy 2-core machine
      // here: a master waiting 5 × 50 ms for a CPU would read as down. What this drill is about
      // (exact limits, a killed master) does not depend on that threshold; a kill is seen at
      // once (connection refused) whatever it is.
      env: { REDIS_CLUSTER: 'true', REDIS_TIMEOUT_MS: '250' },
    });
    await waitForFleetOnRedis(servers, FLEET);
  }, 120_000);

  afterAll(async () => {
    await stopServerProcesses(servers);
    await cluster?.stop();
    await db?.cleanup();
  }, 60_000);

  it(`1,000 concurrent wrong logins from one IP over the three: exactly 5 × 401, 995 × 429, ${TRIALS} times`, async () => {
    const results: string[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const attacker = new AttackClient(`127.90.${trial + 1}.1`, { maxSockets: 50 });
      try {
        const responses = await burst(attacker, servers, 1000, '/api/auth/login', (i) => ({
          email: `cluster-victim-${trial}@example.com`,
          password: `wrong guess ${i}`,
        }));
        const counts = countStatuses(responses);
        results.push(JSON.stringify(counts));
        expect(counts, `trial ${trial + 1}; so far ${results.join(' ')}`).toEqual({
          401: 5,
          429: 995,
        });
      } finally {
        attacker.close();
      }
    }
    console.info(`cluster exact-limit trials: ${results.join(' ')}`);
    expect(await eventTimes(db.handle, 'detection_store_degraded')).toEqual([]);
    expect(await cluster.errorCounts('CROSSSLOT')).toEqual([0, 0, 0]);
  }, 240_000);

  it("the service's own counters and blocks of 40 client IPs land on every master", async () => {
    for (let i = 0; i < 40; i += 1) {
      const client = new AttackClient(`127.93.${i + 1}.1`, { keepAlive: false });
      const statuses: number[] = [];
      for (let n = 0; n < 6; n += 1) {
        const server = servers[n % servers.length] as ServerProcess;
        const res = await client.post(`${server.url}/api/auth/login`, {
          email: `spread-${i}@example.com`,
          password: `wrong ${n}`,
        });
        statuses.push(res.status);
      }
      expect(statuses, `client ${i}`).toEqual([401, 401, 401, 401, 401, 429]);
    }
    // Each client IP has its state (`:s`, holding the block) and, once blocked, its reputation
    // (`:rep`, another Redis type): both are spread over the masters.
    const counted = await Promise.all(
      [0, 1, 2].map((node) => cluster.scanNode(node, 'fa:{ip:127.93.*}:s')),
    );
    const reputations = await Promise.all(
      [0, 1, 2].map((node) => cluster.scanNode(node, 'fa:{ip:127.93.*}:rep')),
    );
    expect(reputations.flat()).toHaveLength(40);
    expect(reputations.every((keys) => keys.length > 0)).toBe(true);
    const blocked = await Promise.all(counted.map((keys, node) => cluster.blocksAmong(node, keys)));
    console.info(
      `client IP keys per master: ${counted.map((k) => k.length).join(', ')}; with a block: ${blocked.join(', ')}`,
    );
    expect(counted.flat()).toHaveLength(40);
    expect(counted.every((keys) => keys.length > 0)).toBe(true);
    expect(blocked.every((n) => n > 0)).toBe(true);
    expect(blocked.reduce((a, b) => a + b, 0)).toBe(40);
    // The fleet heartbeat is one key (one slot): on exactly one master.
    const fleet = await Promise.all([0, 1, 2].map((node) => cluster.scanNode(node, 'fa:{fleet}*')));
    expect(fleet.map((keys) => keys.length).sort()).toEqual([0, 0, 1]);
  }, 120_000);

  it('one master killed under load: detection degrades as a whole, no 5xx; restarted: back on the cluster', async () => {
    const load = new LoginLoad(servers, { workers: 6, block: 91 });
    await sleep(500);
    const killedAt = performance.now();
    await cluster.kill(1);
    // The health probe pings every master: one refused ping is an outage for the whole store.
    await waitForStores(servers, (s) => s.status === 'degraded');
    const switchMs = performance.now() - killedAt;
    await cluster.waitForState('fail');
    // Still degraded as a whole once the other masters refuse too (CLUSTERDOWN).
    expect((await Promise.all(servers.map(storeReadiness))).map((s) => s.status)).toEqual([
      'degraded',
      'degraded',
      'degraded',
    ]);
    await sleep(1000);
    const restartedAt = performance.now();
    await cluster.restart(1);
    await cluster.waitForState('ok');
    await waitForStores(servers, (s) => s.status === 'ok');
    const backMs = performance.now() - restartedAt;
    await sleep(500);
    const responses = await load.stop();
    const bad = responses.filter((r) => r.status === 0 || r.status >= 500);
    const slowest = Math.max(...responses.map((r) => r.ms));
    console.info(
      `cluster master killed: all degraded ${switchMs.toFixed(0)} ms after the kill, back on the cluster ${backMs.toFixed(0)} ms after the restart; ${responses.length} requests ${JSON.stringify(countStatuses(responses))}, slowest ${slowest.toFixed(0)} ms`,
    );
    expect(bad, servers.flatMap((s) => s.errors()).join('\n')).toEqual([]);
    // Never a speed check: a bound only a hung request could cross.
    expect(slowest).toBeLessThan(10_000);
    // The fleet learns its size again from the restarted cluster.
    await waitForFleetOnRedis(servers, FLEET);
  }, 120_000);

  it('the exact limit holds again after the recovery, and each switch wrote one event per instance', async () => {
    const attacker = new AttackClient('127.92.0.1', { maxSockets: 50 });
    try {
      const responses = await burst(attacker, servers, 1000, '/api/auth/login', (i) => ({
        email: 'cluster-after@example.com',
        password: `wrong guess ${i}`,
      }));
      expect(countStatuses(responses)).toEqual({ 401: 5, 429: 995 });
    } finally {
      attacker.close();
    }
    expect(await stopServerProcesses(servers)).toEqual([0, 0, 0]);
    expect(await eventTimes(db.handle, 'detection_store_degraded')).toHaveLength(FLEET);
    expect(await eventTimes(db.handle, 'detection_store_recovered')).toHaveLength(FLEET);
    expect(await cluster.errorCounts('CROSSSLOT')).toEqual([0, 0, 0]);
    const crossSlotLogged = servers
      .flatMap((s) => s.output().split('\n'))
      .filter((l) => l.includes('CROSSSLOT'));
    expect(crossSlotLogged).toEqual([]);
  }, 120_000);
});
