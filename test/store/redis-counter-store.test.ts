import { afterAll, describe, it } from 'vitest';
import { RedisCounterStore } from '../../src/store/index.ts';
import { describeCounterStoreContract } from './counter-store.contract.ts';
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
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });
}
