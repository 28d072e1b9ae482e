import type { BlockRecord } from '../store/index.ts';

interface CachedBlock {
  readonly block: BlockRecord;
  readonly cachedUntil: number;
  hits: number;
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

  /** The cached block of `ipKey` if still fresh and active; counts the hit. */
  get(ipKey: string, now: number): BlockRecord | null {
    const entry = this.#entries.get(ipKey);
    if (entry === undefined) return null;
    if (entry.block.expiresAt <= now) {
      this.#entries.delete(ipKey);
      return null;
    }
    // Past its time the entry answers no more, but keeps its hits for the `set` that follows
    // the next store call to report (the blocked_request roll-up).
    if (entry.cachedUntil <= now) return null;
    entry.hits += 1;
    return entry.block;
  }

  /** Remembers a block; returns the hits the previous entry of this key answered. */
  set(block: BlockRecord, now: number): number {
    const previous = this.#entries.get(block.ipKey);
    this.#entries.delete(block.ipKey);
    if (this.#ttlMs <= 0) return previous?.hits ?? 0;
    this.#entries.set(block.ipKey, { block, cachedUntil: now + this.#ttlMs, hits: 0 });
    if (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return previous?.hits ?? 0;
  }

  /** Forgets a key (after an unblock on this instance). */
  delete(ipKey: string): void {
    this.#entries.delete(ipKey);
  }
}
