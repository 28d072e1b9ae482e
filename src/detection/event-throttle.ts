/**
 * At most one event per key per interval, so a flood produces a handful of events.
 * Bounded: over `maxKeys` the oldest key is forgotten.
 */
export class EventThrottle {
  readonly #last = new Map<string, number>();
  readonly #maxKeys: number;

  /** Keeps at most `maxKeys` keys. */
  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  /** True (and remembers `now`) when no event for `key` went out in the last `intervalMs`. */
  shouldPublish(key: string, now: number, intervalMs: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < intervalMs) return false;
    this.#last.delete(key);
    this.#last.set(key, now);
    if (this.#last.size > this.#maxKeys) {
      const oldest = this.#last.keys().next();
      if (oldest.done !== true) this.#last.delete(oldest.value);
    }
    return true;
  }
}
