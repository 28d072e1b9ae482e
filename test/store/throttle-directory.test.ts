import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ThrottleDirectory } from '../../src/store/redis/throttle-directory.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from './redis-test-client.ts';

const client = await connectTestRedis();

if (client === null) {
  it.runIf(IS_CI)('Redis is reachable (required under CI)', () => {
    throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
  });
} else {
  const prefix = uniquePrefix();
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  describe('ThrottleDirectory on an injected monotonic clock', () => {
    it('is sure only while its copy is under half its age, and sees a throttle another instance published after a re-read', async () => {
      let clock = 0;
      const key = `${prefix}throttled`;
      const options = { client, key, maxAgeMs: 1000, maxEntries: 100, monotonic: () => clock };
      const here = new ThrottleDirectory(options);
      const there = new ThrottleDirectory(options);
      const now = 1_700_000_000_000;
      const account = randomUUID();
      // Never read: not sure.
      expect(here.isSurelyUnthrottled(account, now)).toBe(false);
      expect(await here.isUnthrottled(account, now)).toBe(true);
      expect(here.isSurelyUnthrottled(account, now)).toBe(true);
      there.publish(account, now + 60_000, now);
      await client.zscore(key, account); // the fire-and-forget write has landed
      clock = 499;
      expect(here.isSurelyUnthrottled(account, now)).toBe(true);
      clock = 500;
      expect(here.isSurelyUnthrottled(account, now)).toBe(false);
      // Past the whole age the next caller waits for a fresh read, which lists the account.
      clock = 1000;
      expect(await here.isUnthrottled(account, now)).toBe(false);
      expect(here.isSurelyUnthrottled(account, now)).toBe(false);
      // Once the throttle has ended it is gone from the answer.
      clock = 2000;
      expect(await here.isUnthrottled(account, now + 60_000)).toBe(true);
    });
  });
}
