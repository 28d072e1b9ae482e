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
  const store = new RedisCounterStore(client, { keyPrefix: prefix });
  describeCounterStoreContract('redis', () => store);

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

    it('rejects maxEntriesPerKey outside 1..65535 (the reply packs counts in 16 bits)', () => {
      expect(() => new RedisCounterStore(client, { maxEntriesPerKey: 65_536 })).toThrow(RangeError);
      expect(() => new RedisCounterStore(client, { maxEntriesPerKey: 0 })).toThrow(RangeError);
    });
  });
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });
}
