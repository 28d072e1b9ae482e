import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { WorkerHandle } from './worker.ts';

/** One raw-verify measurement. */
export interface HashRateInput {
  readonly concurrency: number;
  readonly seconds: number;
}

/** What one raw-verify measurement saw. */
export interface HashRateResult {
  readonly verifies: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU the whole worker process used while measuring (all threads). */
  readonly cpuSeconds: number;
}

/**
 * Raw argon2id verifies/s (service parameters, `@node-rs/argon2` directly, no queue, no HTTP)
 * with `concurrency` loops (default: CPUs), in a separate long-lived child process so it can
 * be measured in slices interleaved with other work.
 */
export class RawVerifyRate {
  readonly #worker: WorkerHandle;
  readonly #concurrency: number;

  private constructor(worker: WorkerHandle, concurrency: number) {
    this.#worker = worker;
    this.#concurrency = concurrency;
  }

  /** Starts the worker and warms it up. */
  static async start(concurrency = availableParallelism()): Promise<RawVerifyRate> {
    const worker = WorkerHandle.start(join(import.meta.dirname, 'hash-rate-worker.ts'));
    try {
      await worker.call('warmup', { concurrency });
    } catch (error) {
      await worker.close();
      throw error;
    }
    return new RawVerifyRate(worker, concurrency);
  }

  get concurrency(): number {
    return this.#concurrency;
  }

  /** Verifies/s over about `seconds`. */
  measure(seconds: number): Promise<HashRateResult> {
    return this.#worker.call<HashRateResult>('measure', {
      concurrency: this.#concurrency,
      seconds,
    } satisfies HashRateInput);
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}

/** Adds up slices: total verifies over total time. */
export function combineHashRates(slices: readonly HashRateResult[]): HashRateResult {
  const verifies = slices.reduce((sum, s) => sum + s.verifies, 0);
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const cpuSeconds = slices.reduce((sum, s) => sum + s.cpuSeconds, 0);
  return { verifies, seconds, perSecond: verifies / seconds, cpuSeconds };
}
