import {
  defaultSeverity,
  type SecurityEventBus,
  type SecurityEventDetails,
} from '../events/index.ts';

/** The two events of the detection store's switch (see `ResilientCounterStore`). */
export type StoreSwitchEventType = 'detection_store_degraded' | 'detection_store_recovered';

/** Publishes one switch event at `at` (epoch ms): no IP, user or request behind it. */
export function publishStoreSwitch<T extends StoreSwitchEventType>(
  bus: SecurityEventBus,
  type: T,
  at: number,
  details: SecurityEventDetails[T],
): void {
  bus.publish<T>({
    type,
    severity: defaultSeverity(type),
    at,
    ip: null,
    userId: null,
    userAgent: null,
    rule: type,
    requestId: null,
    details,
  });
}

/** `promise`, or a rejection after `timeoutMs` (the promise's own later rejection is ignored). */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store call over ${timeoutMs} ms`)), timeoutMs);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
