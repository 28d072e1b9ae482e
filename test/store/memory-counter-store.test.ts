import { describe, expect, it } from 'vitest';
import { MemoryCounterStore } from '../../src/store/index.ts';
import { BOT, BRUTE_FORCE, describeCounterStoreContract } from './counter-store.contract.ts';

const store = new MemoryCounterStore();
describeCounterStoreContract('memory', () => store);

const T0 = 1_700_000_000_000;

function signup(ipKey: string, now: number) {
  return { ipKey, now, account: null, bruteForce: BRUTE_FORCE, botActivity: BOT, isExempt: false };
}

describe('MemoryCounterStore bounds', () => {
  it('evicts the least recently written IP over the key cap', async () => {
    const small = new MemoryCounterStore({ maxIpKeys: 3 });
    for (const ip of ['a', 'b', 'c']) await small.precheckIp(signup(ip, T0));
    await small.precheckIp(signup('a', T0 + 1));
    await small.precheckIp(signup('d', T0 + 2));
    expect(small.stats()).toMatchObject({ ips: 3, evictions: 1 });
    // 'b' was the least recently written: its count restarted, 'a' kept its two requests.
    expect((await small.precheckIp(signup('b', T0 + 3))).requests).toBe(1);
    expect((await small.precheckIp(signup('a', T0 + 4))).requests).toBe(3);
  });

  it('sweeps expired IP windows incrementally as it writes', async () => {
    const swept = new MemoryCounterStore();
    for (let i = 0; i < 100; i += 1) await swept.precheckIp(signup(`10.0.0.${i}`, T0));
    expect(swept.stats().ips).toBe(100);
    const later = T0 + 10 * 60_000;
    for (let i = 0; i < 60; i += 1) await swept.precheckIp(signup('192.0.2.1', later + i));
    // 60 writes examine 120 keys: every expired window is gone without a full sweep.
    expect(swept.stats().ips).toBe(1);
    expect(swept.sweep(later)).toBe(0);
  });

  it('keeps windows that are still live when sweeping', async () => {
    const live = new MemoryCounterStore();
    await live.precheckIp({ ...signup('a', T0), account: 'x' });
    // Failure window is 5 min: still live at +4 min.
    expect(live.sweep(T0 + 4 * 60_000)).toBe(0);
    expect(live.sweep(T0 + 6 * 60_000)).toBe(1);
  });

  it('drops expired blocks and bounds accounts', async () => {
    const small = new MemoryCounterStore({ maxAccountKeys: 2 });
    const guard = { failureLimit: 20, distinctIpLimit: 5, windowMs: 1000, throttleMs: 1000 };
    const base = { ipKey: 'i', ip: 'i', outcome: 'failure' as const, deviceId: null, guard };
    const rest = { knownIpTtlMs: 1000, knownIpMax: 5, devicesWindowMs: 1000 };
    for (const account of ['a', 'b', 'c']) {
      await small.recordAccount({ ...base, ...rest, account, now: T0 });
    }
    expect(small.stats().accounts).toBe(2);
    await small.setBlock({
      ipKey: 'x',
      rule: 'manual',
      reason: 'r',
      evidence: { count: 0, limit: 0, windowMs: 0 },
      now: T0,
      blockMs: 10,
      manual: true,
    });
    expect(small.stats().blocks).toBe(1);
    expect(small.sweep(T0 + 5000)).toBe(3);
    expect(small.stats()).toMatchObject({ blocks: 0, accounts: 0 });
  });
});
