import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runWorker } from './worker.ts';

/** Input of the hash-rate worker. */
export interface HashRateInput {
  readonly concurrency: number;
  readonly seconds: number;
}

/** What the hash-rate worker measured. */
export interface HashRateResult {
  readonly verifies: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU the whole worker process used while measuring (all threads). */
  readonly cpuSeconds: number;
}

/**
 * Raw argon2id verifies/s (service parameters, `@node-rs/argon2` directly, no queue, no HTTP)
 * with `concurrency` loops (default: CPUs) for about `seconds`, in a separate child process so
 * nothing else shares its event loop.
 */
export function measureRawVerifyRate(
  seconds: number,
  concurrency = availableParallelism(),
): Promise<HashRateResult> {
  return runWorker<HashRateInput, HashRateResult>(
    join(import.meta.dirname, 'hash-rate-worker.ts'),
    { concurrency, seconds },
  );
}
