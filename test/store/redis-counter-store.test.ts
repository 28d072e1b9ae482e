import { createHash, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisCounterStore } from '../../src/store/index.ts';
import { BOT, BRUTE_FORCE, describeCounterStoreContract } from './counter-store.contract.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from './redis-test-client.ts';

const client = await connectTestRedis();
const prefix = uniquePrefix();

if (client === null) {
  if (IS_CI) {
    it('Redis is reachable (required under CI)', () => {
      throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
    });
  } else {
    describe.skip(`RedisCounterStore: skipped, Redis unreachable at ${REDIS_URL}`, () => {
      it('needs Redis', () => {});
    });
  }
} else {
  // A directory copy that stays fresh for the whole file: the contract's isSurelyUnthrottled
  // checks must not depend on how fast this machine runs them.
  const throttleCacheMs = 600_000;
  const store = new RedisCounterStore(client, { keyPrefix: prefix, throttleCacheMs });
  describeCounterStoreContract('redis', () => store);
  // The script variant for Redis older than 7.0 (no SET … NX GET): same contract.
  // Its own prefix: the contract counts every active block, so it must not see the first run's.
  const readFirst = new RedisCounterStore(client, {
    keyPrefix: `${prefix}v6:`,
    throttleCacheMs,
    setNxGet: false,
  });
  describeCounterStoreContract('redis, GET before SET (Redis < 7.0)', () => readFirst);

  describe('RedisCounterStore precheck script', () => {
    const now = 1_700_000_000_000;
    const monitorOnly = { ...BOT, limit: 2, isEnforced: false };

    it('unpacks the packed reply exactly (monitor mode, 300 requests, 149 pending)', async () => {
      const ipKey = `10.9.${Math.floor(Math.random() * 250)}.1`;
      let last = null;
      for (let i = 0; i < 300; i += 1) {
        last = await store.precheckIp({
          ipKey,
          now: now + i,
          account: i % 2 === 0 ? null : `acct${i}`,
          bruteForce: { ...BRUTE_FORCE, limit: 200, isEnforced: false },
          botActivity: monitorOnly,
          isExempt: false,
        });
      }
      expect(last).toMatchObject({
        block: null,
        requests: 300,
        failures: 0,
        pending: 149,
        reservation: expect.any(String),
        isBusy: false,
        monitored: ['bot_activity'],
      });
    });

    it('serves each distinct set of limits with its own script', async () => {
      const ipKey = `10.8.${Math.floor(Math.random() * 250)}.1`;
      const input = { ipKey, account: null, bruteForce: BRUTE_FORCE, isExempt: false };
      const tight = { ...BOT, limit: 1 };
      expect((await store.precheckIp({ ...input, now, botActivity: BOT })).requests).toBe(1);
      const second = await store.precheckIp({ ...input, now: now + 1, botActivity: tight });
      expect(second.isBlockCreated).toBe(true);
      expect(second.block?.evidence).toEqual({ count: 2, limit: 1, windowMs: BOT.windowMs });
    });

    it('loads its scripts again after Redis lost them (restart, failover: NOSCRIPT)', async () => {
      const ipKey = `10.7.${Math.floor(Math.random() * 250)}.1`;
      const input = { ipKey, bruteForce: BRUTE_FORCE, botActivity: BOT, isExempt: false };
      const first = await store.precheckIp({ ...input, now, account: 'acct-noscript' });
      await client.script('FLUSH');
      const second = await store.precheckIp({ ...input, now: now + 1, account: 'acct-noscript' });
      expect(second).toMatchObject({ requests: 2, pending: 1, reservation: expect.any(String) });
      await client.script('FLUSH');
      const recorded = await store.recordIp({
        ipKey,
        now: now + 2,
        account: 'acct-noscript',
        reservation: first.reservation,
        outcome: 'failure',
        bruteForce: BRUTE_FORCE,
        isExempt: false,
      });
      expect(recorded.failures).toBe(1);
    });

    it('switches to GET before SET by itself when Redis rejects SET NX GET (Redis < 7.0)', async () => {
      // This Redis, except that it answers scripts using SET … NX GET as Redis 6.2 does
      // (and starts with an empty script cache of its own).
      const loaded = new Map<string, string>();
      const isNxGet = (lua: string) => lua.includes("'NX', 'GET'");
      let nxGetCalls = 0;
      const runScript = (lua: string | undefined, args: (string | number)[]) => {
        if (lua === undefined) return Promise.reject(new Error('NOSCRIPT No matching script.'));
        if (isNxGet(lua)) {
          nxGetCalls += 1;
          return Promise.reject(new Error('ERR Error running script: ERR syntax error'));
        }
        loaded.set(createHash('sha1').update(lua).digest('hex'), lua);
        return client.eval(lua, ...(args as [number, ...string[]]));
      };
      const redis62 = new Proxy(client, {
        get(target, property) {
          if (property === 'eval')
            return (lua: string, ...args: (string | number)[]) => runScript(lua, args);
          if (property === 'evalsha') {
            return (sha: string, ...args: (string | number)[]) => runScript(loaded.get(sha), args);
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const old = new RedisCounterStore(redis62, { keyPrefix: prefix });
      const ipKey = `10.6.${Math.floor(Math.random() * 250)}.1`;
      const input = { ipKey, bruteForce: BRUTE_FORCE, botActivity: BOT, isExempt: false };
      // Three calls in flight with the NX GET script when the first refusal arrives.
      const first = await Promise.all(
        [0, 1, 2].map((i) => old.precheckIp({ ...input, now: now + i, account: 'acct-62' })),
      );
      expect(first.map((r) => r.requests).sort()).toEqual([1, 2, 3]);
      const fourth = await old.precheckIp({ ...input, now: now + 3, account: 'acct-62' });
      expect(fourth).toMatchObject({ requests: 4, pending: 3, reservation: expect.any(String) });
      // Each in-flight call refused once, then only the read-first script (loaded once).
      expect(nxGetCalls).toBe(3);
      expect(loaded.size).toBe(1);
    });

    it('rejects maxEntriesPerKey outside 1..65535 (the reply packs counts in 16 bits)', () => {
      expect(() => new RedisCounterStore(client, { maxEntriesPerKey: 65_536 })).toThrow(RangeError);
      expect(() => new RedisCounterStore(client, { maxEntriesPerKey: 0 })).toThrow(RangeError);
    });
  });
  describe('RedisCounterStore throttle directory', () => {
    const now = 1_700_000_000_000;
    const guard = { failureLimit: 20, distinctIpLimit: 5, windowMs: 900_000, throttleMs: 900_000 };

    it('a failed directory write neither rejects recordAccount nor hides the throttle here', async () => {
      // The same Redis, except that every ZADD (the throttle directory write) fails.
      const failingZadd = new Proxy(client, {
        get(target, property) {
          if (property === 'zadd') return () => Promise.reject(new Error('zadd failed'));
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const store = new RedisCounterStore(failingZadd, { keyPrefix: prefix });
      const account = `acct-${randomUUID()}`;
      const failure = (i: number) => ({
        account,
        ipKey: `10.0.0.${i % 5}`,
        ip: `10.0.0.${i % 5}`,
        now: now + i,
        outcome: 'failure' as const,
        deviceId: null,
        guard,
        knownIpTtlMs: 86_400_000,
        knownIpMax: 10,
        devicesWindowMs: 86_400_000,
      });
      for (let i = 0; i < 19; i += 1) await store.recordAccount(failure(i));
      // Rejecting here made the resilient store count this failure again in memory.
      const last = await store.recordAccount(failure(19));
      expect(last).toMatchObject({ failures: 20, throttleStartedUntil: now + 19 + 900_000 });
      expect(await client.zscore(`${prefix}throttled`, account)).toBeNull();
      const stranger = await store.precheckAccount({
        account,
        ipKey: '10.0.9.9',
        now: now + 40,
        guard,
        knownIpTtlMs: 86_400_000,
        onlyIfThrottled: true,
      });
      expect(stranger.throttledUntil).toBe(now + 19 + 900_000);
    });
  });

  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });
}
