import { describe, expect, it } from 'vitest';
import { type RedisHealth, ResilientCounterStore } from '../../src/detection/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import {
  type CounterStore,
  type IpRecordInput,
  MemoryCounterStore,
} from '../../src/store/index.ts';
import { accountFailure, BOT, BRUTE_FORCE } from '../store/counter-store.contract.ts';

// A primary store whose getBlock answers after `delayMs` (or never), counting calls.
function slowPrimary(delayMs: number | null): CounterStore & { calls: number } {
  const inner = new MemoryCounterStore();
  const primary = Object.create(inner) as CounterStore & { calls: number };
  primary.calls = 0;
  primary.getBlock = (ipKey, now) => {
    primary.calls += 1;
    if (delayMs === null) return new Promise(() => {});
    return new Promise((resolve) => setTimeout(() => resolve(inner.getBlock(ipKey, now)), delayMs));
  };
  return primary;
}

// The health probe's verdict, set by the test (the store only reads it and hears changes).
function setup(primary: CounterStore) {
  const events: SecurityEvent[] = [];
  const bus = new SecurityEventBus();
  bus.subscribe((e) => {
    events.push(e);
  });
  const health: { now: RedisHealth } = { now: 'healthy' };
  const late: number[] = [];
  const store = new ResilientCounterStore({
    primary,
    bus,
    health: () => health.now,
    timeoutMs: 20,
    hardTimeoutMs: 200,
    probeIntervalMs: 60_000,
    onLateCalls: (count) => late.push(count),
  });
  const setHealth = (next: RedisHealth) => {
    health.now = next;
    store.onHealth(next);
  };
  const count = (type: string) => events.filter((e) => e.type === type).length;
  return { store, events, setHealth, count, late };
}

describe('ResilientCounterStore', () => {
  it('a slow primary while the probe finds Redis healthy: calls wait for it, no switch', async () => {
    const primary = slowPrimary(60);
    const { store, count } = setup(primary);
    for (let i = 0; i < 5; i += 1) await store.getBlock('1.2.3.4', 0);
    expect(primary.calls).toBe(5);
    expect(store.status()).toBe('ok');
    expect(count('detection_store_degraded')).toBe(0);
    store.close();
  });

  it('a call past the timeout while the probe finds Redis late answers from the fallback, without a switch', async () => {
    const primary = slowPrimary(null);
    const { store, setHealth, count } = setup(primary);
    setHealth('suspect');
    const started = performance.now();
    expect(await store.getBlock('1.2.3.4', 0)).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000); // nothing hangs
    expect(store.status()).toBe('ok');
    expect(count('detection_store_degraded')).toBe(0);
    store.close();
  });

  it('calls parked behind our own load are answered from the fallback once the probe turns suspect', async () => {
    const primary = slowPrimary(null);
    const { store, setHealth, late } = setup(primary);
    let answered = 0;
    const calls = [1, 2, 3].map(() => store.getBlock('1.2.3.4', 0).then(() => (answered += 1)));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(answered).toBe(0); // parked: Redis was healthy
    setHealth('suspect');
    await Promise.all(calls);
    expect(answered).toBe(3);
    expect(late).toEqual([3]); // told once per episode, not per verdict
    setHealth('suspect');
    expect(late).toEqual([3]);
    store.close();
  });

  it('down switches once with one event; healthy again switches back once with one event', async () => {
    const primary = slowPrimary(0);
    const { store, setHealth, count } = setup(primary);
    setHealth('down');
    setHealth('down');
    expect(store.status()).toBe('degraded');
    await store.getBlock('1.2.3.4', 0);
    expect(primary.calls).toBe(0);
    setHealth('healthy');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.status()).toBe('ok');
    setHealth('healthy');
    expect(count('detection_store_degraded')).toBe(1);
    expect(count('detection_store_recovered')).toBe(1);
    store.close();
  });

  it('after a call error with Redis pinging fine, healthy verdicts do not flap it back and forth', async () => {
    const failing = new MemoryCounterStore();
    failing.getBlock = () => Promise.reject(new Error('OOM command not allowed'));
    const { store, setHealth, count } = setup(failing);
    await store.getBlock('1.2.3.4', 0);
    expect(store.status()).toBe('degraded');
    for (let i = 0; i < 5; i += 1) setHealth('healthy');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Only the recovery timer (probeIntervalMs, here a minute) tries the primary again.
    expect(store.status()).toBe('degraded');
    expect(count('detection_store_degraded')).toBe(1);
    expect(count('detection_store_recovered')).toBe(0);
    store.close();
  });

  it('does not switch back while the probe still finds Redis down', async () => {
    const { store, setHealth } = setup(slowPrimary(0));
    setHealth('down');
    expect(await store.probeNow()).toBe('degraded');
    setHealth('healthy');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.status()).toBe('ok');
    store.close();
  });

  it('a fallback that throws synchronously rejects the call instead of crashing', async () => {
    const failing = new MemoryCounterStore();
    failing.getBlock = () => Promise.reject(new Error('primary down'));
    const fallback = new MemoryCounterStore();
    fallback.getBlock = () => {
      throw new Error('fallback broken');
    };
    const store = new ResilientCounterStore({
      primary: failing,
      fallback,
      bus: new SecurityEventBus(),
    });
    await expect(store.getBlock('1.2.3.4', 0)).rejects.toThrow('fallback broken');
    expect(store.status()).toBe('degraded');
    await expect(store.getBlock('1.2.3.4', 0)).rejects.toThrow('fallback broken');
    store.close();
  });

  it('times each primary call for metrics: ok in time, error, timeout at the hard limit', async () => {
    const timed: Array<[number, string]> = [];
    // A generous hard limit where the call must answer, so a busy machine cannot turn it into a timeout.
    const make = (primary: CounterStore, hardTimeoutMs = 10_000) =>
      new ResilientCounterStore({
        primary,
        bus: new SecurityEventBus(),
        timeoutMs: 20,
        hardTimeoutMs,
        probeIntervalMs: 60_000,
        onCallTimed: (seconds, outcome) => timed.push([seconds, outcome]),
      });
    const slow = make(slowPrimary(40));
    await slow.getBlock('1.2.3.4', 0);
    expect(timed).toHaveLength(1);
    expect(timed[0]?.[1]).toBe('ok');
    expect(timed[0]?.[0]).toBeGreaterThanOrEqual(0.035);
    slow.close();

    const failing = new MemoryCounterStore();
    failing.getBlock = () => Promise.reject(new Error('primary down'));
    const broken = make(failing);
    await broken.getBlock('1.2.3.4', 0);
    // Degraded now: fallback calls are not timed.
    await broken.getBlock('1.2.3.4', 0);
    expect(timed.map(([, outcome]) => outcome)).toEqual(['ok', 'error']);
    broken.close();

    const dead = make(slowPrimary(null), 200);
    await dead.getBlock('1.2.3.4', 0);
    expect(timed.map(([, outcome]) => outcome)).toEqual(['ok', 'error', 'timeout']);
    expect(timed[2]?.[0]).toBeGreaterThanOrEqual(0.195);
    dead.close();
  });

  it('fails over after the hard limit when the primary never answers though Redis pings fine', async () => {
    const { store } = setup(slowPrimary(null));
    const started = performance.now();
    expect(await store.getBlock('1.2.3.4', 0)).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(store.status()).toBe('degraded');
    store.close();
  });

  it('releases a reservation the primary made after the fallback answered (no orphaned slot)', async () => {
    const inner = new MemoryCounterStore();
    const primary = Object.create(inner) as CounterStore;
    const released: IpRecordInput[] = [];
    // Answers (and reserves a slot) 300 ms late, long after the store answered from the fallback.
    primary.precheckIp = (input) =>
      new Promise((resolve) => setTimeout(() => resolve(inner.precheckIp(input)), 300));
    primary.recordIp = (input) => {
      released.push(input);
      return inner.recordIp(input);
    };
    const { store, setHealth } = setup(primary);
    setHealth('suspect');
    const input = {
      ipKey: '198.51.100.7',
      now: 1_700_000_000_000,
      account: 'acct-hash',
      bruteForce: BRUTE_FORCE,
      botActivity: BOT,
      isExempt: false,
    };
    const answer = await store.precheckIp(input);
    expect(answer.reservation).not.toBeNull(); // served by the fallback
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(released).toEqual([
      expect.objectContaining({ ipKey: input.ipKey, account: 'acct-hash', outcome: 'release' }),
    ]);
    expect(released[0]?.reservation).toEqual(expect.any(String));
    // Past the pending TTL the primary counts no failure for this IP.
    const later = await inner.precheckIp({ ...input, now: input.now + 60_000, account: null });
    expect(later).toMatchObject({ failures: 0, pending: 0 });
    store.close();
  });

  it('releases nothing when a late precheck reserved no slot (no account)', async () => {
    const inner = new MemoryCounterStore();
    const primary = Object.create(inner) as CounterStore;
    let recordCalls = 0;
    primary.precheckIp = (input) =>
      new Promise((resolve) => setTimeout(() => resolve(inner.precheckIp(input)), 300));
    primary.recordIp = (input) => {
      recordCalls += 1;
      return inner.recordIp(input);
    };
    const { store, setHealth } = setup(primary);
    setHealth('suspect');
    await store.precheckIp({
      ipKey: '198.51.100.8',
      now: 1_700_000_000_000,
      account: null,
      bruteForce: BRUTE_FORCE,
      botActivity: BOT,
      isExempt: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(recordCalls).toBe(0);
    store.close();
  });

  it('isSurelyUnthrottled asks the store in use: the primary, the fallback while degraded', async () => {
    class DownForBlocks extends MemoryCounterStore {
      override getBlock(): Promise<null> {
        return Promise.reject(new Error('connection lost'));
      }
    }
    const primary = new DownForBlocks();
    const now = 1_700_000_000_000;
    for (let i = 0; i < 20; i += 1) {
      await primary.recordAccount(accountFailure('acct-t', `10.0.1.${i % 5}`, now + i));
    }
    const { store } = setup(primary);
    expect(store.isSurelyUnthrottled('acct-t', now + 100)).toBe(false);
    await store.getBlock('1.2.3.4', now);
    expect(store.status()).toBe('degraded');
    expect(store.isSurelyUnthrottled('acct-t', now + 100)).toBe(true);
    expect(await store.probeNow()).toBe('ok');
    expect(store.isSurelyUnthrottled('acct-t', now + 100)).toBe(false);
    store.close();
  });
});
