import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertSample, AlertWindowStore } from '../../src/alerts/alert-window.ts';
import { MemoryAlertWindowStore } from '../../src/alerts/memory-alert-window-store.ts';
import { RedisAlertWindowStore } from '../../src/alerts/redis-alert-window-store.ts';
import type { RedisClient } from '../../src/store/index.ts';
import { describeWithRedis } from '../helpers/attack-stores.ts';
import { connectTestRedis, deleteKeys, uniquePrefix } from '../store/redis-test-client.ts';

const WINDOW_MS = 60_000;
const T0 = 1_800_000_000_000;

function sample(at: number, ip: string, action: string | null = 'block'): AlertSample {
  return { at, ip, account: ip.endsWith('.1') ? 'user-1' : null, action, severity: 'high' };
}

// One contract for both forms: the Redis one shared by a fleet, the memory one per instance.
function contract(
  name: string,
  open: () => Promise<{ store: AlertWindowStore; close(): Promise<void> }>,
) {
  describe(name, () => {
    let store: AlertWindowStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(() => close());

    it('opens a window with the first event only, then sums the rest into one digest at its end', async () => {
      expect(await store.add('r1', sample(T0, '10.0.0.1'), T0, WINDOW_MS)).toBe(true);
      for (let i = 0; i < 30; i += 1) {
        const at = T0 + 1000 + i * 100;
        expect(await store.add('r1', sample(at, `10.0.0.${(i % 7) + 1}`), at, WINDOW_MS)).toBe(
          false,
        );
      }
      await store.add('r1', sample(T0 + 5000, '10.0.0.9', 'throttle'), T0 + 5000, WINDOW_MS);
      expect(await store.claimDue(T0 + WINDOW_MS - 1, WINDOW_MS)).toEqual([]);
      const state = await store.snapshot(T0 + 10);
      expect(state).toEqual([
        { rule: 'r1', isOpen: true, windowEnd: T0 + WINDOW_MS, eventCount: 31, distinctIps: 8 },
      ]);
      const [digest, ...more] = await store.claimDue(T0 + WINDOW_MS, WINDOW_MS);
      expect(more).toEqual([]);
      expect(digest).toMatchObject({
        rule: 'r1',
        severity: 'high',
        eventCount: 31,
        distinctIps: 8,
        distinctAccounts: 1,
        firstAt: T0 + 1000,
        lastAt: T0 + 5000,
        actions: { block: 30, throttle: 1 },
        windowStart: T0,
        windowEnd: T0 + WINDOW_MS,
      });
      // 30 events over 7 IPs: .1 and .2 get 5 each, the others 4; ties by address, descending.
      expect(digest?.topIps).toEqual([
        { value: '10.0.0.2', count: 5 },
        { value: '10.0.0.1', count: 5 },
        { value: '10.0.0.7', count: 4 },
        { value: '10.0.0.6', count: 4 },
        { value: '10.0.0.5', count: 4 },
      ]);
      expect(digest?.topAccounts).toEqual([{ value: 'user-1', count: 5 }]);
      // Claimed once: nobody else gets it.
      expect(await store.claimDue(T0 + WINDOW_MS, WINDOW_MS)).toEqual([]);
    });

    it('keeps an attack that goes on to one digest per window, without a new first alert', async () => {
      const t = T0 + WINDOW_MS + 10;
      expect(await store.add('r1', sample(t, '10.0.1.1'), t, WINDOW_MS)).toBe(false);
      const [digest] = await store.claimDue(T0 + 2 * WINDOW_MS, WINDOW_MS);
      expect(digest).toMatchObject({ eventCount: 1, windowStart: T0 + WINDOW_MS });
    });

    it('closes a quiet window silently; the next event is a first alert again', async () => {
      expect(await store.claimDue(T0 + 3 * WINDOW_MS, WINDOW_MS)).toEqual([]);
      expect(await store.snapshot(T0 + 3 * WINDOW_MS)).toEqual([]);
      const t = T0 + 3 * WINDOW_MS + 5;
      expect(await store.add('r1', sample(t, '10.0.2.1'), t, WINDOW_MS)).toBe(true);
    });

    it('keeps rules apart', async () => {
      const t = T0 + 10 * WINDOW_MS;
      expect(await store.add('r2', sample(t, '10.0.3.1'), t, WINDOW_MS)).toBe(true);
      expect(await store.add('r3', sample(t, '10.0.3.1'), t, WINDOW_MS)).toBe(true);
      expect(await store.add('r2', sample(t, '10.0.3.2'), t, WINDOW_MS)).toBe(false);
      const due = await store.claimDue(t + WINDOW_MS, WINDOW_MS);
      expect(due.map((d) => [d.rule, d.eventCount])).toEqual([['r2', 1]]);
    });

    it('gives each first alert and each digest to exactly one of many concurrent callers', async () => {
      const t = T0 + 20 * WINDOW_MS;
      const firsts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.add('r4', sample(t, `10.0.4.${i}`), t, WINDOW_MS),
        ),
      );
      expect(firsts.filter(Boolean)).toHaveLength(1);
      const claims = await Promise.all(
        Array.from({ length: 10 }, () => store.claimDue(t + WINDOW_MS, WINDOW_MS)),
      );
      const digests = claims.flat().filter((d) => d.rule === 'r4');
      expect(digests.map((d) => d.eventCount)).toEqual([49]);
    });
  });
}

contract('memory alert windows', async () => ({
  store: new MemoryAlertWindowStore(),
  close: async () => {},
}));

describeWithRedis('redis alert windows', () => {
  let client: RedisClient | null = null;
  const prefix = uniquePrefix();
  contract('shared by every instance', async () => {
    client = await connectTestRedis();
    if (client === null) throw new Error('Redis unreachable');
    const connected = client;
    return {
      store: new RedisAlertWindowStore(connected, prefix),
      close: async () => {
        await deleteKeys(connected, prefix);
        connected.disconnect();
      },
    };
  });
  it('puts every key of the alert windows in one cluster slot', async () => {
    const probe = await connectTestRedis();
    if (probe === null) throw new Error('Redis unreachable');
    const p = uniquePrefix();
    const store = new RedisAlertWindowStore(probe, p);
    await store.add('rx', sample(T0, '10.9.9.9'), T0, WINDOW_MS);
    await store.add('rx', sample(T0, '10.9.9.8'), T0, WINDOW_MS);
    const keys = await probe.keys(`${p}*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(keys.every((key) => key.startsWith(`${p}{alerts}:`))).toBe(true);
    await deleteKeys(probe, p);
    probe.disconnect();
  });
});
