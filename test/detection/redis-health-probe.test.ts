import { afterEach, describe, expect, it } from 'vitest';
import { type RedisHealth, RedisHealthProbe } from '../../src/detection/index.ts';
import { createRedisClient, pingRedis, waitForRedisReady } from '../../src/store/index.ts';
import { describeWithRedis, REDIS_URL, sleep } from '../helpers/attack-stores.ts';

/** Busy-waits `ms` on the event loop (what a burst of requests or a GC pause does). */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** A ping the test answers or fails by hand. */
function manualPing() {
  const waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const ping = () =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
    });
  return {
    ping,
    answerAll: () => {
      for (const w of waiting.splice(0)) w.resolve();
    },
    failAll: (error: Error) => {
      for (const w of waiting.splice(0)) w.reject(error);
    },
    get pending() {
      return waiting.length;
    },
  };
}

/** Resolves once `predicate` holds (checked every 5 ms), or fails after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('RedisHealthProbe', () => {
  let probe: RedisHealthProbe | null = null;
  afterEach(() => probe?.stop());

  it('a ping left unanswered is suspect after two timeouts and down after three', async () => {
    const manual = manualPing();
    const verdicts: RedisHealth[] = [];
    probe = new RedisHealthProbe({
      ping: manual.ping,
      timeoutMs: 20,
      strikesToDown: 3,
      onVerdict: (health) => verdicts.push(health),
    });
    probe.start();
    await until(() => verdicts.includes('down'));
    expect(verdicts.slice(0, 3)).toEqual(['healthy', 'suspect', 'down']);
    expect(manual.pending).toBe(1);
  });

  it('after down, two pings answered in time bring it back; a slow answer does not', async () => {
    const manual = manualPing();
    const verdicts: RedisHealth[] = [];
    probe = new RedisHealthProbe({
      ping: manual.ping,
      timeoutMs: 20,
      downIntervalMs: 10,
      onVerdict: (health) => verdicts.push(health),
    });
    probe.start();
    await until(() => probe?.health() === 'down');
    manual.answerAll(); // the stalled ping answers, late: still down
    await until(() => manual.pending === 1);
    expect(probe.health()).toBe('down');
    manual.answerAll(); // first answer in time
    await until(() => manual.pending === 1);
    expect(probe.health()).toBe('down');
    manual.answerAll(); // second answer in time
    await until(() => probe?.health() === 'healthy');
  });

  it('a failed ping is down at once', async () => {
    const manual = manualPing();
    probe = new RedisHealthProbe({ ping: manual.ping, timeoutMs: 1000, onVerdict: () => {} });
    probe.start();
    manual.failAll(new Error('ECONNREFUSED'));
    await until(() => probe?.health() === 'down', 500);
  });
});

describeWithRedis('RedisHealthProbe on a real Redis', () => {
  it('a busy event loop is never a strike: pings answered while we were stalled count as in time', async () => {
    const client = createRedisClient(REDIS_URL, { autoPipelining: false });
    await waitForRedisReady(client, 2000);
    const verdicts: RedisHealth[] = [];
    const probe = new RedisHealthProbe({
      ping: () => pingRedis(client),
      timeoutMs: 20,
      intervalMs: 1,
      onVerdict: (health) => verdicts.push(health),
    });
    try {
      probe.start();
      await until(() => verdicts.length > 0);
      // Each stall is ten timeouts long, with pings in flight throughout.
      for (let i = 0; i < 10; i += 1) {
        stall(200);
        await sleep(5);
      }
      await until(() => verdicts.length > 20);
      expect(verdicts.filter((v) => v !== 'healthy')).toEqual([]);
    } finally {
      probe.stop();
      client.disconnect();
    }
  }, 30_000);
});
