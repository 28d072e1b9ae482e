import { describe, expect, it } from 'vitest';
import { createDetectionStore } from '../../src/detection/index.ts';
import { SecurityEventBus } from '../../src/events/index.ts';
import { connectTestRedis, IS_CI, REDIS_URL, uniquePrefix } from '../store/redis-test-client.ts';

describe('createDetectionStore status', () => {
  it('a Redis that is down at startup reports degraded at once, before any call', async () => {
    const errors: Error[] = [];
    const detection = createDetectionStore({
      redisUrl: 'redis://127.0.0.1:1',
      bus: new SecurityEventBus(),
      onRedisError: (error) => errors.push(error),
    });
    try {
      expect(detection.status()).toBe('degraded');
      await expect(detection.ready(500)).rejects.toThrow(/ECONNREFUSED/);
      expect(detection.status()).toBe('degraded');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await detection.close();
    }
  });

  it('without Redis (memory store) it is ok', () => {
    expect(createDetectionStore({ bus: new SecurityEventBus() }).status()).toBe('ok');
  });
});

const probe = await connectTestRedis();
probe?.disconnect();

if (probe === null && IS_CI) {
  it('Redis is reachable (required under CI)', () => {
    throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
  });
}

describe.skipIf(probe === null)(`createDetectionStore on Redis (${REDIS_URL})`, () => {
  it('is ok once connected', async () => {
    const detection = createDetectionStore({
      redisUrl: REDIS_URL,
      keyPrefix: uniquePrefix(),
      bus: new SecurityEventBus(),
    });
    try {
      await detection.ready(2000);
      expect(detection.status()).toBe('ok');
    } finally {
      await detection.close();
    }
  });
});
