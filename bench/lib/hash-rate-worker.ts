// Worker process: raw argon2id verify loops with the service's parameters, no queue, no HTTP.
import { hash, verify } from '@node-rs/argon2';
import { DEFAULT_ARGON2_PARAMS } from '../../src/accounts/index.ts';
import type { HashRateInput, HashRateResult } from './hash-rate.ts';
import { serveWorker } from './worker.ts';

// @node-rs/argon2 declares its enums as ambient const enums; isolated modules cannot read them.
const ARGON2ID = 2;
const VERSION_0X13 = 1;
const PASSWORD = 'benchmark-password-1';

let stored: string | null = null;

async function storedHash(): Promise<string> {
  if (stored === null) {
    stored = await hash(PASSWORD, {
      algorithm: ARGON2ID,
      version: VERSION_0X13,
      memoryCost: DEFAULT_ARGON2_PARAMS.memoryCostKiB,
      timeCost: DEFAULT_ARGON2_PARAMS.timeCost,
      parallelism: DEFAULT_ARGON2_PARAMS.parallelism,
    });
  }
  return stored;
}

serveWorker({
  /** Hashes once and runs one verify per loop (thread pool start-up, first allocations). */
  warmup: async ({ concurrency }: { concurrency: number }) => {
    const phc = await storedHash();
    await Promise.all(Array.from({ length: concurrency }, () => verify(phc, PASSWORD)));
    return null;
  },
  /** `concurrency` verify loops for `seconds`. */
  measure: async ({ concurrency, seconds }: HashRateInput): Promise<HashRateResult> => {
    const phc = await storedHash();
    let verifies = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const deadline = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          if (!(await verify(phc, PASSWORD))) throw new Error('verify returned false');
          verifies++;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      verifies,
      seconds: elapsed,
      perSecond: verifies / elapsed,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  },
});
