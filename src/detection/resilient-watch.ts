import type { CounterStore } from '../store/index.ts';
import type { QueuedCall } from './slow-call-queue.ts';

/** A primary call under watch (see `ResilientCounterStore.#run`). */
export interface Watch<T> extends QueuedCall {
  /** `slow`: past `timeoutMs`, parked while the probe finds Redis healthy. */
  phase: 'waiting' | 'slow' | 'done';
  readonly call: Promise<T>;
  readonly operation: (store: CounterStore) => Promise<T>;
  readonly onAbandoned: ((late: T) => void) | undefined;
  readonly resolve: (value: T | Promise<T>) => void;
}

/** The promise, or a rejection after `timeoutMs` (the promise's own rejection is observed). */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store call over ${timeoutMs} ms`)), timeoutMs);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
