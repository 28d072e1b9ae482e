import { describe, expect, it } from 'vitest';
import { ResilientCounterStore } from '../../src/detection/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import { type CounterStore, MemoryCounterStore } from '../../src/store/index.ts';

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

  it('fails over after the hard limit when the primary never answers', async () => {
    const { store } = setup(slowPrimary(null));
    const started = performance.now();
    expect(await store.getBlock('1.2.3.4', 0)).toBeNull();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(store.status()).toBe('degraded');
    store.close();
  });
});
