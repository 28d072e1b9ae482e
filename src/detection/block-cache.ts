import type { BlockRecord } from '../store/index.ts';

interface CachedBlock {
  readonly block: BlockRecord;
  readonly cachedUntil: number;
  /** Past `cachedUntil`, one caller asks the store again; until then the rest are answered. */
  refreshUntil: number;
}

/**
 * Active blocks remembered by one detector instance for at most `ttlMs` (default 1 s),
 * so a flood from a blocked IP is answered without touching the store. Bounded in keys.
 */
export class BlockCache {
  readonly #entries = new Map<string, CachedBlock>();
  readonly #ttlMs: number;
  readonly #maxKeys: number;

  /** `ttlMs` 0 disables caching. */
  constructor(ttlMs = 1000, maxKeys = 10_000) {
    this.#ttlMs = ttlMs;
    this.#maxKeys = maxKeys;
  }

  /**
   * The cached block of `ipKey` while active. Null when there is none, or for the one caller
   * that should ask the store because the entry is over `ttlMs` old.
   */
  get(ipKey: string, now: number): BlockRecord | null {
    const entry = this.#entries.get(ipKey);
    if (entry === undefined) return null;
    if (entry.block.expiresAt <= now) {
      this.#entries.delete(ipKey);
      return null;
    }
    // Past its time, one caller at a time is sent to the store (for at most another `ttlMs`)
    // while the others keep the cached answer, so a flood never waits on that round trip.
    if (entry.cachedUntil <= now && entry.refreshUntil <= now) {
      entry.refreshUntil = now + this.#ttlMs;
      return null;
    }
    return entry.block;
  }

  /** Remembers a block. */
  set(block: BlockRecord, now: number): void {
    this.#entries.delete(block.ipKey);
    if (this.#ttlMs <= 0) return;
    this.#entries.set(block.ipKey, { block, cachedUntil: now + this.#ttlMs, refreshUntil: 0 });
    if (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Forgets a key (after an unblock, or when the store no longer holds the block). */
  delete(ipKey: string): void {
    this.#entries.delete(ipKey);
  }
}
