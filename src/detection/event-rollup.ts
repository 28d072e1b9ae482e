interface Entry<T> {
  /** When the last event of this key went out (epoch ms). */
  publishedAt: number;
  intervalMs: number;
  /** Occurrences since then, not yet in any event. */
  held: number;
  /** The latest held occurrence, published with the count. */
  sample: T | null;
}

/**
 * Rolls repeats up so a flood produces a handful of events, yet every occurrence is counted in
 * one: the first of a key goes out at once (count 1); later ones within `intervalMs` are held
 * and go out, counted, with the next one after the interval or at `flush`. Bounded: over
 * `maxKeys` the oldest key is forgotten, its held count published first.
 */
export class EventRollup<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #publish: (sample: T, count: number) => void;
  readonly #maxKeys: number;

  /** `publish` receives an occurrence and how many occurrences (it included) it stands for. */
  constructor(publish: (sample: T, count: number) => void, maxKeys = 10_000) {
    this.#publish = publish;
    this.#maxKeys = maxKeys;
  }

  /** Counts one occurrence of `key` at `now` (epoch ms); publishes it unless held back. */
  add(key: string, now: number, intervalMs: number, sample: T): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.publishedAt < intervalMs) {
      entry.held += 1;
      entry.sample = sample;
      return;
    }
    const count = (entry?.held ?? 0) + 1;
    this.#entries.delete(key);
    this.#entries.set(key, { publishedAt: now, intervalMs, held: 0, sample: null });
    if (this.#entries.size > this.#maxKeys) this.#evictOldest();
    this.#publish(sample, count);
  }

  /**
   * Publishes what was held back longer than its interval (every held count with `all`),
   * and forgets keys idle for longer than theirs. Call about once a second, and at shutdown.
   */
  flush(now: number, options: { readonly all?: boolean } = {}): void {
    for (const [key, entry] of this.#entries) {
      const isDue = now - entry.publishedAt >= entry.intervalMs;
      if (entry.sample !== null && (isDue || options.all === true)) {
        const { sample, held } = entry;
        entry.publishedAt = now;
        entry.held = 0;
        entry.sample = null;
        this.#publish(sample, held);
      } else if (isDue) {
        this.#entries.delete(key);
      }
    }
  }

  #evictOldest(): void {
    const oldest = this.#entries.entries().next();
    if (oldest.done === true) return;
    const [key, entry] = oldest.value;
    this.#entries.delete(key);
    if (entry.sample !== null) this.#publish(entry.sample, entry.held);
  }
}
