/** What `EventRateLimiter.take` answers: let it through (with what was held back before) or not. */
export type RateDecision =
  | {
      readonly allowed: true /** Events of this key held back since the last one let through. */;
      readonly suppressed: number;
    }
  | { readonly allowed: false };

/** Limits for `EventRateLimiter`; times in milliseconds. */
export interface EventRateLimiterOptions {
  /** Events let through per key and window. */
  readonly perKey: number;
  /** Events let through per window over all keys together. */
  readonly total: number;
  readonly windowMs: number;
  /** Keys remembered at most (the oldest is forgotten first). Default 1000. */
  readonly maxKeys?: number;
  readonly clock?: () => number;
}

interface Window {
  startedAt: number;
  count: number;
  suppressed: number;
}

/**
 * Fixed-window rate limit per group key and over all keys, so a flood (an attack, a database
 * outage, a SERVICE_BUSY storm) reaches the error tracker as a handful of events. The next event
 * let through for a key carries how many were held back.
 */
export class EventRateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #total: Window = { startedAt: 0, count: 0, suppressed: 0 };
  readonly #options: Required<EventRateLimiterOptions>;

  constructor(options: EventRateLimiterOptions) {
    this.#options = { maxKeys: 1000, clock: Date.now, ...options };
  }

  /** Counts one event of `key`; says whether it may be sent. */
  take(key: string): RateDecision {
    const now = this.#options.clock();
    const { windowMs, perKey, total, maxKeys } = this.#options;
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = { startedAt: now, count: 0, suppressed: 0 };
      this.#windows.set(key, window);
      if (this.#windows.size > maxKeys) {
        const oldest = this.#windows.keys().next();
        if (oldest.done !== true) this.#windows.delete(oldest.value);
      }
    }
    if (now - window.startedAt >= windowMs) {
      window.startedAt = now;
      window.count = 0;
    }
    if (now - this.#total.startedAt >= windowMs) {
      this.#total.startedAt = now;
      this.#total.count = 0;
    }
    if (window.count >= perKey || this.#total.count >= total) {
      window.suppressed += 1;
      return { allowed: false };
    }
    window.count += 1;
    this.#total.count += 1;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { allowed: true, suppressed };
  }
}
