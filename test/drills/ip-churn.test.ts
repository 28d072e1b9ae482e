import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { type CounterStore, MemoryCounterStore } from '../../src/store/index.ts';
import { BOT, BRUTE_FORCE } from '../store/counter-store.contract.ts';

// Issue 13: a million client addresses through the in-process store (what a detection
// instance holds while Redis is down, or in the embedded default). Memory must stay bounded
// by the configured key cap, by eviction when the addresses come faster than their windows
// expire, and by the sweep when they do not.

const IPS = 1_000_000;
const T0 = 1_700_000_000_000;
const CHUNK = 50_000;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Heap in use after a full collection (bytes). */
function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The `i`-th address of the churn: 10.x.y.z, one per index. */
const ipOf = (i: number) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** One credential request from `ip` (a signup: counted by the bot rule, no reservation). */
async function credentialRequest(store: CounterStore, ip: string, now: number): Promise<void> {
  await store.precheckIp({
    ipKey: ip,
    now,
    account: null,
    bruteForce: BRUTE_FORCE,
    botActivity: BOT,
    isExempt: false,
  });
}

describe(`${IPS.toLocaleString('en')}-IP churn through the in-process store`, () => {
  it('the configured key cap holds (eviction and sweep) and the heap stops growing at the cap', async () => {
    const cap = 200_000;
    const store = new MemoryCounterStore({ maxIpKeys: cap });
    const retentionMs = Math.max(BRUTE_FORCE.windowMs, BOT.windowMs);
    const baseline = heapAfterGc();
    let atCap = 0;
    let largest = 0;
    const chunkCpuMs: number[] = [];
    // 1 ms apart: 300,000 addresses are live at once (more than the cap, so it evicts), and
    // the million spans ~17 minutes. CPU per chunk of 50,000 is checked as it goes: a store
    // whose eviction cost grows with churn fails here in a minute instead of timing out.
    for (let chunk = 0; chunk < IPS / CHUNK; chunk += 1) {
      const started = process.cpuUsage();
      for (let i = chunk * CHUNK; i < (chunk + 1) * CHUNK; i += 1) {
        await credentialRequest(store, ipOf(i), T0 + i);
        if (i % 10_000 === 0) largest = Math.max(largest, store.stats().ips);
        if (i + 1 === retentionMs) atCap = heapAfterGc();
      }
      const used = process.cpuUsage(started);
      chunkCpuMs.push((used.user + used.system) / 1000);
      const cheapest = Math.min(...chunkCpuMs);
      expect(
        chunkCpuMs.at(-1),
        `CPU ms per ${CHUNK} requests so far: ${chunkCpuMs.map((ms) => ms.toFixed(0)).join(' ')}`,
      ).toBeLessThanOrEqual(cheapest * 10 + 200);
    }
    const end = heapAfterGc();
    const stats = store.stats();
    console.info(
      `churn of ${IPS} IPs, cap ${cap}: ${JSON.stringify(stats)}, largest ${largest}; heap +${((atCap - baseline) / 1e6).toFixed(1)} MB at ${retentionMs} IPs, +${((end - baseline) / 1e6).toFixed(1)} MB at ${IPS} (${((end - baseline) / stats.ips).toFixed(0)} B per key); CPU ms per ${CHUNK}: ${chunkCpuMs.map((ms) => ms.toFixed(0)).join(' ')}`,
    );
    expect(largest).toBeLessThanOrEqual(cap);
    expect(stats.ips).toBeLessThanOrEqual(cap);
    expect(stats.evictions).toBeGreaterThan(0);
    // The other 700,000 addresses cost nothing more than the first 300,000.
    expect(end - baseline).toBeLessThanOrEqual((atCap - baseline) * 1.1 + 2e6);
  }, 280_000);
});
