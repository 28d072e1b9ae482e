import type { SecurityEventType } from './event-types.ts';
import type { SecurityEvent, SecurityEventOf } from './security-event.ts';

/** A subscriber; may be sync or async. Its failures are reported, never propagated. */
export type SecurityEventListener = (event: SecurityEvent) => void | Promise<void>;

/**
 * In-process bus for security events. `publish` never throws and never waits for
 * listeners: each listener runs on a later tick, so a slow or failing subscriber
 * (audit, metrics, alerts) cannot delay or fail the request that emitted the event.
 */
export class SecurityEventBus {
  readonly #listeners = new Set<SecurityEventListener>();
  readonly #onListenerError: (error: unknown, event: SecurityEvent) => void;

  constructor(onListenerError: (error: unknown, event: SecurityEvent) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: SecurityEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands the event to every listener asynchronously. */
  publish<T extends SecurityEventType>(published: SecurityEventOf<T>): void {
    // A SecurityEventOf<T> is one member of the union; TypeScript cannot see that for a generic T.
    const event = published as SecurityEvent;
    for (const listener of this.#listeners) {
      queueMicrotask(() => {
        try {
          const result = listener(event);
          if (result instanceof Promise) {
            result.catch((error: unknown) => this.#onListenerError(error, event));
          }
        } catch (error) {
          this.#onListenerError(error, event);
        }
      });
    }
  }
}
