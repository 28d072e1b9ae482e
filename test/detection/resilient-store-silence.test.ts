import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResilientCounterStore, SilenceWatch } from '../../src/detection/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import {
  type BlockRecord,
  type CounterStore,
  createRedisClient,
  MemoryCounterStore,
  waitForRedisReady,
} from '../../src/store/index.ts';
import { describeWithRedis, REDIS_URL, sleep } from '../helpers/attack-stores.ts';

const TIMEOUT_MS = 50;
const PROBE_INTERVAL_MS = 25;
/** What `createDetectionStore` passes: one timeout and two probe intervals. */
const SILENCE_MS = TIMEOUT_MS + 2 * PROBE_INTERVAL_MS;
/**
 * Silence is concluded two event-loop turns after its timer: one whole poll phase reads what
 * reached our socket, the next turn judges. The fake clock counts each turn (a `setImmediate`
 * inside a timer) as 1 ms.
 */
const LOOP_TURN_MS = 2;
const BLOCK: BlockRecord = {
  ipKey: '203.0.113.9',
  rule: 'brute_force',
  reason: 'primary answer',
  evidence: { count: 5, limit: 5, windowMs: 60_000 },
  createdAt: 0,
  expiresAt: 1_000_000,
  manual: false,
};

/**
 * A primary whose `getBlock` answers only when the test says so (a stopped Redis never does),
 * and answers every other IP at once with the primary's record (so the test can tell a primary
 * answer from the fallback's null).
 */
function heldPrimary() {
  const held: Array<() => void> = [];
  const primary = Object.create(new MemoryCounterStore()) as CounterStore;
  primary.getBlock = (ipKey) =>
    new Promise((resolve) => {
      if (ipKey === 'fast') resolve(BLOCK);
      else held.push(() => resolve(BLOCK));
    });
  const answerHeld = () => {
    for (const answer of held.splice(0)) answer();
  };
  return { primary, answerHeld };
}

function setup(primary: CounterStore) {
  const events: SecurityEvent[] = [];
  const bus = new SecurityEventBus();
  bus.subscribe((e) => {
    events.push(e);
  });
  const late: string[] = [];
  const timed: string[] = [];
  const store = new ResilientCounterStore({
    primary,
    bus,
    timeoutMs: TIMEOUT_MS,
    silenceMs: SILENCE_MS,
    hardTimeoutMs: 5000,
    probeIntervalMs: 60_000,
    onLateCalls: (count, reason) => late.push(`${count}: ${reason}`),
    onCallTimed: (seconds, outcome) => timed.push(`${outcome} ${Math.round(seconds * 1000)}`),
  });
  return { store, events, late, timed };
}

/** Tracks when (fake ms since the start) a call settled, and with what. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; at?: number } = {};
  void promise.then((value) => {
    state.value = value;
    state.at = performance.now();
  });
  return state;
}

// Issue 7: "no request waits on the store longer than REDIS_TIMEOUT_MS plus a small margin".
// The clock is injected (fake timers, performance.now included), so the bound is exact here.
describe('ResilientCounterStore on a silent Redis (injected clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval', 'performance'],
    });
  });
  afterEach(() => vi.useRealTimers());

  it('a call on a Redis silent since it started answers from memory at REDIS_TIMEOUT_MS + two probe intervals, not before', async () => {
    const { primary } = heldPrimary();
    const { store, events, late, timed } = setup(primary);
    const start = performance.now();
    store.onRedisAnswer(); // the last ping answered; Redis says nothing from here on
    const call = track(store.getBlock('198.51.100.1', 0));
    await vi.advanceTimersByTimeAsync(SILENCE_MS - 1);
    expect(call.at).toBeUndefined(); // past the timeout, but Redis could still be busy
    await vi.advanceTimersByTimeAsync(LOOP_TURN_MS + 1);
    expect(call.value).toBeNull(); // the fallback's answer
    expect((call.at ?? Number.NaN) - start).toBe(SILENCE_MS + LOOP_TURN_MS);
    expect(timed).toEqual([`timeout ${SILENCE_MS + LOOP_TURN_MS}`]);
    expect(late).toEqual([`1: nothing heard from Redis for ${SILENCE_MS + LOOP_TURN_MS} ms`]);
    // Released, not switched: the probe decides the switch.
    expect(store.status()).toBe('ok');
    expect(events).toEqual([]);
    store.close();
  });

  it('a call started while Redis is already silent waits at most REDIS_TIMEOUT_MS + two probe intervals', async () => {
    const { primary } = heldPrimary();
    const { store } = setup(primary);
    store.onRedisAnswer();
    const starts = [0, 10, 24, 40, 70];
    const calls: Array<{ start: number; call: { value?: BlockRecord | null; at?: number } }> = [];
    for (const [i, at] of starts.entries()) {
      await vi.advanceTimersByTimeAsync(at - (starts[i - 1] ?? 0));
      calls.push({ start: performance.now(), call: track(store.getBlock(`198.51.100.${i}`, 0)) });
    }
    await vi.advanceTimersByTimeAsync(SILENCE_MS + LOOP_TURN_MS);
    for (const { start, call } of calls) {
      expect(call.value).toBeNull();
      const waited = (call.at ?? Number.POSITIVE_INFINITY) - start;
      expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(waited).toBeLessThanOrEqual(SILENCE_MS + LOOP_TURN_MS);
    }
    store.close();
  });

  it('a Redis busy with our burst keeps answering calls: a slow call waits for its own answer', async () => {
    const { primary, answerHeld } = heldPrimary();
    const { store, late } = setup(primary);
    const call = track(store.getBlock('198.51.100.2', 0));
    // Other calls answered every 20 ms: Redis is busy, not silent.
    for (let t = 0; t < 400; t += 20) {
      await store.getBlock('fast', 0);
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(call.at).toBeUndefined();
    answerHeld();
    await vi.advanceTimersByTimeAsync(0);
    expect(call.value).toEqual(BLOCK); // the primary's own answer: the shared count stays exact
    expect(late).toEqual([]);
    store.close();
  });

  it('silence counts from when Redis was asked, not from its last answer: a long quiet spell is no outage', async () => {
    const { primary, answerHeld } = heldPrimary();
    const { store, late } = setup(primary);
    store.onRedisAnswer(); // then nothing asked for 300 ms (or our loop was busy that long)
    await vi.advanceTimersByTimeAsync(300);
    const call = track(store.getBlock('198.51.100.6', 0));
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 10); // past its timeout, Redis owes 60 ms
    expect(call.at).toBeUndefined();
    answerHeld();
    await vi.advanceTimersByTimeAsync(0);
    expect(call.value).toEqual(BLOCK); // the primary's answer, not the fallback's
    expect(late).toEqual([]);
    store.close();
  });

  it('health pings answered while a call waits keep it waiting (up to the hard limit, a stuck connection)', async () => {
    const { primary } = heldPrimary();
    const { store, events } = setup(primary);
    const pings = setInterval(() => store.onRedisAnswer(), PROBE_INTERVAL_MS);
    const call = track(store.getBlock('198.51.100.3', 0));
    await vi.advanceTimersByTimeAsync(4900);
    expect(call.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(call.value).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['detection_store_degraded']);
    clearInterval(pings);
    store.close();
  });

  it('once Redis speaks again, a later silence is released and reported again', async () => {
    const { primary } = heldPrimary();
    const { store, late } = setup(primary);
    store.onRedisAnswer();
    const first = track(store.getBlock('198.51.100.4', 0));
    await vi.advanceTimersByTimeAsync(SILENCE_MS + LOOP_TURN_MS);
    expect(first.value).toBeNull();
    store.onRedisAnswer();
    const second = track(store.getBlock('198.51.100.5', 0));
    await vi.advanceTimersByTimeAsync(SILENCE_MS + LOOP_TURN_MS);
    expect(second.value).toBeNull();
    expect(late).toHaveLength(2);
    store.close();
  });
});

/** Busy-waits `ms` on the event loop (what a burst of requests or a GC pause does). */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describeWithRedis('SilenceWatch on a real Redis', () => {
  it('our own stalled event loop is not silence: a reply that arrived meanwhile is read first', async () => {
    const client = createRedisClient(REDIS_URL, { autoPipelining: false });
    await waitForRedisReady(client, 2000);
    const silences: number[] = [];
    const watch = new SilenceWatch(100, (ms) => silences.push(ms));
    try {
      for (let i = 0; i < 5; i += 1) {
        watch.heard(false);
        watch.asked();
        await new Promise((resolve) => setImmediate(resolve)); // asked: the mark is taken
        watch.watch();
        // A command written now; its reply sits in our socket while we stall 6 silences long.
        void client.ping().then(() => watch.heard(false));
        stall(600);
        // The check due during the stall runs in the first loop turn after it; then stop.
        await sleep(20);
        watch.stop();
      }
      expect(silences).toEqual([]);
      // Control: asked and never answered, the same watch does find silence.
      watch.asked();
      await new Promise((resolve) => setImmediate(resolve));
      watch.watch();
      await sleep(300);
      expect(silences).toHaveLength(1);
    } finally {
      watch.stop();
      client.disconnect();
    }
  }, 30_000);
});
