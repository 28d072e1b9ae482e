import { describe, expect, it } from 'vitest';
import { ResilientCounterStore } from '../../src/detection/index.ts';
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

function setup(primary: CounterStore) {
  const events: SecurityEvent[] = [];
  const bus = new SecurityEventBus();
  bus.subscribe((e) => {
    events.push(e);
  });
  const store = new ResilientCounterStore({
    primary,
    bus,
    timeoutMs: 20,
    hardTimeoutMs: 200,
    slowCallsToDegrade: 3,
    probeIntervalMs: 60_000,
  });
  return { store, events };
}

describe('ResilientCounterStore', () => {
  it('keeps answering from a slow primary until three calls in a row were slow', async () => {
    const primary = slowPrimary(60);
    const { store, events } = setup(primary);
    await store.getBlock('1.2.3.4', 0);
    await store.getBlock('1.2.3.4', 0);
    expect(store.status()).toBe('ok');
    await store.getBlock('1.2.3.4', 0);
    expect(store.status()).toBe('degraded');
    await store.getBlock('1.2.3.4', 0);
    expect(primary.calls).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.filter((e) => e.type === 'detection_store_degraded')).toHaveLength(1);
    store.close();
  });

  it('after recovering, one slow call does not degrade again (the streak starts over)', async () => {
    const primary = slowPrimary(60);
    const { store } = setup(primary);
    for (let i = 0; i < 3; i += 1) await store.getBlock('1.2.3.4', 0);
    expect(store.status()).toBe('degraded');
    expect(await store.probeNow()).toBe('ok');
    await store.getBlock('1.2.3.4', 0);
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

  it('fails over after the hard limit when the primary never answers', async () => {
    const { store } = setup(slowPrimary(null));
    const started = performance.now();
    expect(await store.getBlock('1.2.3.4', 0)).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(store.status()).toBe('degraded');
    store.close();
  });

  it('releases a reservation the primary made after the hard limit (no orphaned slot)', async () => {
    const inner = new MemoryCounterStore();
    const primary = Object.create(inner) as CounterStore;
    const released: IpRecordInput[] = [];
    // Answers (and reserves a slot) 300 ms late: after the 200 ms hard limit.
    primary.precheckIp = (input) =>
      new Promise((resolve) => setTimeout(() => resolve(inner.precheckIp(input)), 300));
    primary.recordIp = (input) => {
      released.push(input);
      return inner.recordIp(input);
    };
    const { store } = setup(primary);
    const input = {
      ipKey: '198.51.100.7',
      now: 1_700_000_000_000,
      account: 'acct-hash',
      bruteForce: BRUTE_FORCE,
      botActivity: BOT,
      isExempt: false,
    };
    const answer = await store.precheckIp(input);
    expect(store.status()).toBe('degraded');
    expect(answer.reservation).not.toBeNull(); // served by the fallback
    await new Promise((resolve) => setTimeout(resolve, 250));
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
    const { store } = setup(primary);
    await store.precheckIp({
      ipKey: '198.51.100.8',
      now: 1_700_000_000_000,
      account: null,
      bruteForce: BRUTE_FORCE,
      botActivity: BOT,
      isExempt: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
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
