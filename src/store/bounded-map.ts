/**
 * A string-keyed map with a cap on keys and an incremental sweep of expired values.
 * Writes move a key to the back; over the cap the front (least recently written) goes.
 */
export class BoundedMap<V> {
  readonly #map = new Map<string, V>();
  readonly #maxKeys: number;
  readonly #isExpired: (value: V, now: number) => boolean;
  readonly #sweepPerWrite: number;
  #evictions = 0;
  // The oldest entry is read through one long-lived iterator. A fresh `keys().next()` would
  // re-scan every slot deleted from the front since V8 last compacted the table, which made
  // eviction quadratic under churn (100,000 writes over a full map: 58 ms → 50 s). Every slot
  // before the cursor is deleted, so the cursor's next live entry is the oldest one.
  #cursor: IterableIterator<[string, V]> | null = null;
  /** The entry the cursor stands on, until its key is deleted or written again. */
  #front: [string, V] | null = null;

  /** `isExpired` decides what a sweep may drop; each write drops up to `sweepPerWrite`. */
  constructor(maxKeys: number, isExpired: (value: V, now: number) => boolean, sweepPerWrite = 2) {
    this.#maxKeys = maxKeys;
    this.#isExpired = isExpired;
    this.#sweepPerWrite = sweepPerWrite;
  }

  /** Number of keys held. */
  get size(): number {
    return this.#map.size;
  }

  /** Keys dropped because the cap was reached (expired keys are not counted). */
  get evictions(): number {
    return this.#evictions;
  }

  /** The value, or undefined. Does not change the order. */
  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  /** Stores the value as most recent, evicts over the cap, and sweeps a few keys. */
  set(key: string, value: V, now: number): void {
    this.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#maxKeys) {
      const oldest = this.#oldest();
      if (oldest === undefined) break;
      this.delete(oldest[0]);
      this.#evictions += 1;
    }
    this.#sweepSome(now, this.#sweepPerWrite);
  }

  /** Removes a key; true when it was present. */
  delete(key: string): boolean {
    if (this.#front !== null && this.#front[0] === key) this.#front = null;
    return this.#map.delete(key);
  }

  /** Drops every expired value now (O(n)); returns how many were dropped. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, value] of this.#map) {
      if (this.#isExpired(value, now)) {
        this.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Iterates over live entries (expired ones included until swept). */
  entries(): IterableIterator<[string, V]> {
    return this.#map.entries();
  }

  /**
   * Drops up to `count` expired keys from the front: the least recently written, so the
   * first that is still live ends the sweep (values whose expiry follows their last write).
   */
  #sweepSome(now: number, count: number): void {
    for (let i = 0; i < count; i += 1) {
      const first = this.#oldest();
      if (first === undefined || !this.#isExpired(first[1], now)) return;
      this.delete(first[0]);
    }
  }

  /** The least recently written entry, or undefined when empty. */
  #oldest(): [string, V] | undefined {
    if (this.#front !== null) return this.#front;
    this.#cursor ??= this.#map.entries();
    let next = this.#cursor.next();
    if (next.done === true) {
      // A finished iterator stays finished: start again for entries written since.
      this.#cursor = this.#map.entries();
      next = this.#cursor.next();
      if (next.done === true) return undefined;
    }
    this.#front = next.value;
    return this.#front;
  }
}
