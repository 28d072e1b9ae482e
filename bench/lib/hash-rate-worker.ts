// Child process: raw argon2id verifies/s with `concurrency` verify loops for `seconds`.
import { hash, verify } from '@node-rs/argon2';
import { DEFAULT_ARGON2_PARAMS } from '../../src/accounts/index.ts';
import { workerMain } from './worker.ts';
import type { HashRateInput, HashRateResult } from './hash-rate.ts';

// @node-rs/argon2 declares its enums as ambient const enums; isolated modules cannot read them.
const ARGON2ID = 2;
const VERSION_0X13 = 1;

workerMain<HashRateInput, HashRateResult>(async ({ concurrency, seconds }) => {
  const password = 'benchmark-password-1';
  const stored = await hash(password, {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: DEFAULT_ARGON2_PARAMS.memoryCostKiB,
    timeCost: DEFAULT_ARGON2_PARAMS.timeCost,
    parallelism: DEFAULT_ARGON2_PARAMS.parallelism,
  });
  // Warm up (thread pool start, first allocations) outside the measured window.
  await Promise.all(Array.from({ length: concurrency }, () => verify(stored, password)));
  let verifies = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (!(await verify(stored, password))) throw new Error('verify returned false');
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
});
