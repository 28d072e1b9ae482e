import {
  defaultSeverity,
  type SecurityEventDetails,
  type SecurityEventOf,
} from '../events/index.ts';
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

/** The event of a switch to the fallback store or back (no request, no IP). */
export function storeSwitchEvent<
  T extends 'detection_store_degraded' | 'detection_store_recovered',
>(type: T, details: SecurityEventDetails[T], at: number): SecurityEventOf<T> {
  const none = { ip: null, userId: null, userAgent: null, requestId: null };
  return { type, severity: defaultSeverity(type), at, ...none, rule: type, details };
}
