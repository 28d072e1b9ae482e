import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisClient, waitForRedisReady } from '../../src/store/index.ts';

/** Redis for tests: `REDIS_URL` or the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Under CI a missing Redis fails the suite; elsewhere it is skipped with a visible reason. */
export const IS_CI = process.env.CI === 'true' || process.env.CI === '1';

/** A connected client, or null when Redis is unreachable within 2 s. */
export async function connectTestRedis(): Promise<RedisClient | null> {
  const client = createRedisClient(REDIS_URL, { connectTimeoutMs: 1000 });
  try {
    await waitForRedisReady(client, 2000);
    return client;
  } catch {
    client.disconnect();
    return null;
  }
}

/** A unique key prefix per test file, so parallel runs never share keys. */
export function uniquePrefix(): string {
  return `fa-test-${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await Promise.all(keys.map((key) => client.del(key)));
  } while (cursor !== '0');
}
