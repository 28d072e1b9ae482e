import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatabaseAvailability, type RecoveryInfo } from '../../src/db/index.ts';
import { ServiceUnavailableError } from '../../src/errors.ts';

// The probe is a switch the test flips: the database is "up" or "down".
function harness() {
  const state = { isUp: true, probes: 0, now: 1_000_000 };
  const downs: unknown[] = [];
  const ups: RecoveryInfo[] = [];
  const availability = new DatabaseAvailability({
    probe: async () => {
      state.probes += 1;
      if (!state.isUp)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
    probeIntervalMs: 1000,
    retryAfterSeconds: 7,
    clock: () => state.now,
    onDown: (error) => downs.push(error),
    onUp: (info) => ups.push(info),
  });
  return { state, downs, ups, availability };
}

describe('DatabaseAvailability', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a dropped connection whose probe succeeds is no outage', async () => {
    const { state, downs, availability } = harness();
    availability.reportConnectionError();
    await availability.settled();
    expect(state.probes).toBe(1);
    expect(availability.isUp()).toBe(true);
    expect(downs).toEqual([]);
    expect(() => availability.assertUp()).not.toThrow();
  });

  it('confirms an outage once however many errors are reported, then fails fast with 503 + Retry-After', async () => {
    const { state, downs, availability } = harness();
    state.isUp = false;
    for (let i = 0; i < 50; i += 1) availability.reportConnectionError();
    await availability.settled();
    expect(state.probes).toBe(1);
    expect(downs).toHaveLength(1);
    expect(availability.isUp()).toBe(false);
    for (let i = 0; i < 50; i += 1) availability.reportConnectionError();
    expect(state.probes).toBe(1);
    let refused: unknown = null;
    try {
      availability.assertUp();
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as ServiceUnavailableError).status).toBe(503);
    expect((refused as ServiceUnavailableError).code).toBe('SERVICE_UNAVAILABLE');
    expect((refused as ServiceUnavailableError).headers).toEqual({ 'retry-after': '7' });
    availability.close();
  });

  it('probes every interval while down and reports the recovery once, with how long and how much', async () => {
    const { state, downs, ups, availability } = harness();
    state.isUp = false;
    availability.reportConnectionError();
    await availability.settled();
    expect(() => availability.assertUp()).toThrow(ServiceUnavailableError);
    expect(() => availability.assertUp()).toThrow(ServiceUnavailableError);
    state.now += 2500;
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.probes).toBe(3);
    expect(availability.isUp()).toBe(false);
    state.isUp = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.probes).toBe(4);
    expect(availability.isUp()).toBe(true);
    expect(ups).toEqual([{ downMs: 2500, refusedCount: 2 }]);
    // Up again: no more probing, and a second outage is a second warning.
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.probes).toBe(4);
    state.isUp = false;
    availability.reportConnectionError();
    await availability.settled();
    expect(downs).toHaveLength(2);
    availability.close();
  });

  it('stops probing when closed', async () => {
    const { state, availability } = harness();
    state.isUp = false;
    availability.reportConnectionError();
    await availability.settled();
    availability.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.probes).toBe(1);
  });

  it('keeps probing when the outage callback throws', async () => {
    const state = { isUp: false, probes: 0 };
    const availability = new DatabaseAvailability({
      probe: async () => {
        state.probes += 1;
        if (!state.isUp) throw new Error('down');
      },
      probeIntervalMs: 1000,
      onDown: () => {
        throw new Error('logger broke');
      },
    });
    availability.reportConnectionError();
    await availability.settled();
    state.isUp = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(availability.isUp()).toBe(true);
    availability.close();
  });
});
