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
