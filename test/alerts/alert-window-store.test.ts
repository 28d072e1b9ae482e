import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertSample,
  type AlertWindowStore,
  type AlertWindowStoreOptions,
  MAX_TRACKED_PER_WINDOW,
} from '../../src/alerts/alert-window.ts';
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

function event(at: number, ip: string | null, account: string | null): AlertSample {
  return { at, ip, account, action: null, severity: 'high' };
}

type OpenStore = (
  options?: AlertWindowStoreOptions,
) => Promise<{ store: AlertWindowStore; close(): Promise<void> }>;

// One contract for both forms: the Redis one shared by a fleet, the memory one per instance.
function contract(name: string, open: OpenStore) {
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

    capContract(open);
  });
}

// A window tracks at most the cap of distinct IPs and of accounts (3 here, 10,000 by default).
function capContract(open: OpenStore) {
  describe('past the tracking cap', () => {
    const CAP = 3;
    let store: AlertWindowStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open({ maxTrackedPerWindow: CAP }));
    });
    afterAll(() => close());

    it('keeps counting tracked values, counts events of new ones apart, and keeps the total exact', async () => {
      const t = T0 + 100 * WINDOW_MS;
      expect(await store.add('c1', event(t, '10.5.0.1', 'u1'), t, WINDOW_MS)).toBe(true);
      const held: [string | null, string | null][] = [
        ['10.5.0.1', 'u1'],
        ['10.5.0.2', 'u2'],
        ['10.5.0.3', 'u3'], // both sets full from here
        ['10.5.0.4', 'u1'], // new IP: untracked; tracked account counts
        ['10.5.0.1', 'u4'], // tracked IP counts; new account: untracked
        ['10.5.0.5', null],
        ['10.5.0.4', null], // still untracked, however often it comes back
        [null, 'u5'],
        ['10.5.0.3', 'u3'],
      ];
      for (const [i, [ip, account]] of held.entries())
        await store.add('c1', event(t + 1 + i, ip, account), t + 1 + i, WINDOW_MS);
      expect(await store.snapshot(t + 20)).toEqual([
        { rule: 'c1', isOpen: true, windowEnd: t + WINDOW_MS, eventCount: 9, distinctIps: 3 },
      ]);
      const [digest] = await store.claimDue(t + WINDOW_MS, WINDOW_MS);
      expect(digest).toMatchObject({
        eventCount: 9,
        distinctIps: 3,
        isDistinctIpsCapped: true,
        untrackedIpEvents: 3,
        distinctAccounts: 3,
        isDistinctAccountsCapped: true,
        untrackedAccountEvents: 2,
      });
      expect(digest?.topIps).toEqual([
        { value: '10.5.0.3', count: 2 },
        { value: '10.5.0.1', count: 2 },
        { value: '10.5.0.2', count: 1 },
      ]);
      expect(digest?.topAccounts).toEqual([
        { value: 'u3', count: 2 },
        { value: 'u1', count: 2 },
        { value: 'u2', count: 1 },
      ]);
      // The next window tracks afresh.
      const next = t + WINDOW_MS + 1;
      await store.add('c1', event(next, '10.5.0.9', 'u9'), next, WINDOW_MS);
      const [after] = await store.claimDue(t + 2 * WINDOW_MS, WINDOW_MS);
      expect(after).toMatchObject({
        eventCount: 1,
        distinctIps: 1,
        isDistinctIpsCapped: false,
        untrackedIpEvents: 0,
        isDistinctAccountsCapped: false,
        untrackedAccountEvents: 0,
        topIps: [{ value: '10.5.0.9', count: 1 }],
      });
    });

    it('is exact, not capped, with as many values as the cap and no more', async () => {
      const t = T0 + 110 * WINDOW_MS;
      await store.add('c2', event(t, '10.6.0.1', null), t, WINDOW_MS);
      for (const ip of ['10.6.0.1', '10.6.0.2', '10.6.0.3', '10.6.0.3'])
        await store.add('c2', event(t + 1, ip, null), t + 1, WINDOW_MS);
      const [digest] = await store.claimDue(t + WINDOW_MS, WINDOW_MS);
      expect(digest).toMatchObject({
        eventCount: 4,
        distinctIps: 3,
        isDistinctIpsCapped: false,
        untrackedIpEvents: 0,
        distinctAccounts: 0,
        isDistinctAccountsCapped: false,
      });
    });

    it('tracks exactly the cap under concurrent events of new values', async () => {
      const t = T0 + 120 * WINDOW_MS;
      await store.add('c3', event(t, null, null), t, WINDOW_MS);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.add('c3', event(t + 1, `10.7.0.${i}`, `user-${i}`), t + 1, WINDOW_MS),
        ),
      );
      const [digest] = await store.claimDue(t + WINDOW_MS, WINDOW_MS);
      expect(digest).toMatchObject({
        eventCount: 40,
        distinctIps: CAP,
        untrackedIpEvents: 40 - CAP,
        distinctAccounts: CAP,
        untrackedAccountEvents: 40 - CAP,
      });
    });
  });
}

contract('memory alert windows', async (options) => ({
  store: new MemoryAlertWindowStore(options),
  close: async () => {},
}));

describe('the default tracking cap', () => {
  it('is 10,000 distinct IPs per window', async () => {
    expect(MAX_TRACKED_PER_WINDOW).toBe(10_000);
    const store = new MemoryAlertWindowStore();
    await store.add('d', event(T0, null, null), T0, WINDOW_MS);
    for (let i = 0; i <= MAX_TRACKED_PER_WINDOW; i += 1)
      await store.add('d', event(T0 + 1, `ip-${i}`, null), T0 + 1, WINDOW_MS);
    const [digest] = await store.claimDue(T0 + WINDOW_MS, WINDOW_MS);
    expect(digest).toMatchObject({
      eventCount: MAX_TRACKED_PER_WINDOW + 1,
      distinctIps: MAX_TRACKED_PER_WINDOW,
      isDistinctIpsCapped: true,
      untrackedIpEvents: 1,
    });
  });

  it('refuses a cap below 1 or not whole', () => {
    expect(() => new MemoryAlertWindowStore({ maxTrackedPerWindow: 0 })).toThrow(RangeError);
    expect(() => new MemoryAlertWindowStore({ maxTrackedPerWindow: 2.5 })).toThrow(RangeError);
  });
});

describeWithRedis('redis alert windows', () => {
  // Each store on its own connection and key prefix, dropped when it closes.
  contract('shared by every instance', async (options) => {
    const client: RedisClient | null = await connectTestRedis();
    if (client === null) throw new Error('Redis unreachable');
    const prefix = uniquePrefix();
    return {
      store: new RedisAlertWindowStore(client, { ...options, keyPrefix: prefix }),
      close: async () => {
        await deleteKeys(client, prefix);
        client.disconnect();
      },
    };
  });
  it('puts every key of the alert windows in one cluster slot', async () => {
    const probe = await connectTestRedis();
    if (probe === null) throw new Error('Redis unreachable');
    const p = uniquePrefix();
    const store = new RedisAlertWindowStore(probe, { keyPrefix: p });
    await store.add('rx', sample(T0, '10.9.9.9'), T0, WINDOW_MS);
    await store.add('rx', sample(T0, '10.9.9.8'), T0, WINDOW_MS);
    const keys = await probe.keys(`${p}*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(keys.every((key) => key.startsWith(`${p}{alerts}:`))).toBe(true);
    await deleteKeys(probe, p);
    probe.disconnect();
  });
});
