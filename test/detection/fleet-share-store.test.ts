import { describe, expect, it } from 'vitest';
import { FleetShareStore, fleetShare } from '../../src/detection/index.ts';
import { MemoryCounterStore } from '../../src/store/index.ts';
import { accountFailure, BOT, BRUTE_FORCE } from '../store/counter-store.contract.ts';

const T0 = 1_700_000_000_000;

/** Logins from one IP that get past the precheck (each reserves a slot, failing at once). */
async function loginsPastPrecheck(store: FleetShareStore, ipKey: string, attempts: number) {
  let passed = 0;
  for (let i = 0; i < attempts; i += 1) {
    const now = T0 + i;
    const input = { ipKey, now, account: 'acct', bruteForce: BRUTE_FORCE, botActivity: BOT };
    const result = await store.precheckIp({ ...input, isExempt: false });
    if (result.block !== null || result.isBusy) continue;
    passed += 1;
    const { reservation } = result;
    await store.recordIp({ ...input, reservation, outcome: 'failure', isExempt: false });
  }
  return passed;
}

describe('fleetShare', () => {
  it('is ceil(limit / fleet size), the full limit for a fleet of one, never below 1', () => {
    expect(fleetShare(5, 1)).toBe(5);
    expect(fleetShare(5, 3)).toBe(2);
    expect(fleetShare(50, 3)).toBe(17);
    expect(fleetShare(5, 10)).toBe(1);
    expect(fleetShare(5, 0)).toBe(5);
    expect(fleetShare(5, Number.NaN)).toBe(5);
  });

  it('keeps a fleet within limit + fleet size - 1', () => {
    for (let size = 1; size <= 12; size += 1) {
      expect(fleetShare(5, size) * size).toBeLessThanOrEqual(5 + size - 1);
    }
  });
});

describe('FleetShareStore', () => {
  it('a single instance keeps the full brute-force limit', async () => {
    const store = new FleetShareStore(new MemoryCounterStore(), () => 1);
    expect(await loginsPastPrecheck(store, '198.51.100.1', 20)).toBe(5);
  });

  it('one of three allows its share: two wrong logins, then a block', async () => {
    const store = new FleetShareStore(new MemoryCounterStore(), () => 3);
    expect(await loginsPastPrecheck(store, '198.51.100.2', 20)).toBe(2);
    const block = await store.getBlock('198.51.100.2', T0 + 100);
    expect(block?.evidence.limit).toBe(2);
  });

  it('reads the fleet size on every call (learned while Redis is healthy)', async () => {
    let size = 1;
    const store = new FleetShareStore(new MemoryCounterStore(), () => size);
    size = 5;
    expect(await loginsPastPrecheck(store, '198.51.100.3', 20)).toBe(1);
  });

  it('cuts the account guard failures to the share, not the distinct-IP condition', async () => {
    const store = new FleetShareStore(new MemoryCounterStore(), () => 4);
    let throttledAfter = 0;
    for (let i = 0; i < 20; i += 1) {
      const result = await store.recordAccount(accountFailure('acct-g', `10.0.0.${i % 5}`, T0 + i));
      if (result.throttleStartedUntil > 0) {
        throttledAfter = i + 1;
        break;
      }
    }
    // 20 failures from 5 IPs over 4 instances: ceil(20 / 4) = 5, once 5 IPs are seen.
    expect(throttledAfter).toBe(5);
  });
});
