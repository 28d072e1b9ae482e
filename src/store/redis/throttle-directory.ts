import type { RedisClient } from '../redis-client.ts';
import { num } from './replies.ts';

/** This instance's copy of the throttled-account directory (account → throttle end ms). */
interface ThrottleSnapshot {
  readonly until: Map<string, number>;
  /** More throttled accounts than the cache holds: read every account instead. */
  readonly isOverflow: boolean;
  /** `monotonic()` when the read started. */
  readonly readAt: number;
}

/** What a `ThrottleDirectory` needs. */
export interface ThrottleDirectoryOptions {
  readonly client: RedisClient;
  /** The sorted set (member account, score throttle end ms) every instance reads. */
  readonly key: string;
  /** How stale (ms) the copy may get before a caller waits for a fresh one. */
  readonly maxAgeMs: number;
  /** Above this many throttled accounts the copy is marked overflowing. */
  readonly maxEntries: number;
  /** A monotonic clock in ms (default `performance.now`); tests inject a fake one. */
  readonly monotonic?: () => number;
}

/**
 * A fleet-wide directory of members with an end time (a sorted set scored by it), as this
 * instance last read it. The throttled accounts: lets a login's precheck skip reading its
 * account when it is surely not throttled. The IPs whose reputation is above a threshold:
 * lets a precheck pick its limits without I/O.
 */
export class ThrottleDirectory {
  readonly #client: RedisClient;
  readonly #key: string;
  readonly #maxAgeMs: number;
  readonly #max: number;
  readonly #monotonic: () => number;
  #snapshot: ThrottleSnapshot = { until: new Map(), isOverflow: true, readAt: -Infinity };
  #refreshing: Promise<ThrottleSnapshot> | null = null;

  constructor(options: ThrottleDirectoryOptions) {
    this.#client = options.client;
    this.#key = options.key;
    this.#maxAgeMs = options.maxAgeMs;
    this.#max = options.maxEntries;
    this.#monotonic = options.monotonic ?? (() => performance.now());
  }

  /** True while the copy is fresh (under half its maximum age), complete, and does not list the account. */
  isSurelyUnthrottled(account: string, now: number): boolean {
    const snapshot = this.#snapshot;
    return (
      this.#isFresh(this.#monotonic() - snapshot.readAt) &&
      !snapshot.isOverflow &&
      (snapshot.until.get(account) ?? 0) <= now
    );
  }

  /**
   * True when the account is not throttled by a copy at most `maxAgeMs` old: refreshed in the
   * background after half that age, awaited (one read shared by all callers) after it.
   * False when the account must be read (listed, or the copy overflows).
   */
  async isUnthrottled(account: string, now: number): Promise<boolean> {
    const snapshot = await this.#current(now);
    return !snapshot.isOverflow && (snapshot.until.get(account) ?? 0) <= now;
  }

  /**
   * The member's end time (epoch ms) in this instance's copy, 0 when absent; synchronous. A
   * copy past half its age is refreshed in the background (never awaited here).
   */
  untilOf(member: string, now: number): number {
    if (!this.#isFresh(this.#monotonic() - this.#snapshot.readAt)) {
      this.#refresh(now).catch(() => {});
    }
    return this.#snapshot.until.get(member) ?? 0;
  }

  /**
   * Adds a started throttle. This instance sees it at once (local copy, synchronously); the
   * Redis write is fire-and-forget: other instances still see the throttle on their full read
   * of the account; only their shortcut misses it.
   */
  publish(account: string, until: number, now: number): void {
    this.#snapshot.until.set(account, until);
    this.#client.zadd(this.#key, 'GT', until, account).catch(() => {});
    this.#client.zremrangebyscore(this.#key, '-inf', now).catch(() => {});
  }

  /** Removes a member, here at once and fleet-wide (others see it at their next read). */
  async forget(member: string): Promise<void> {
    this.#snapshot.until.delete(member);
    await this.#client.zrem(this.#key, member);
  }

  async #current(now: number): Promise<ThrottleSnapshot> {
    const age = this.#monotonic() - this.#snapshot.readAt;
    if (this.#isFresh(age)) return this.#snapshot;
    const refresh = this.#refresh(now);
    if (age < this.#maxAgeMs) {
      refresh.catch(() => {});
      return this.#snapshot;
    }
    return refresh;
  }

  #isFresh(ageMs: number): boolean {
    return ageMs < this.#maxAgeMs / 2;
  }

  #refresh(now: number): Promise<ThrottleSnapshot> {
    if (this.#refreshing !== null) return this.#refreshing;
    const readAt = this.#monotonic();
    const max = this.#max;
    this.#refreshing = this.#client
      .zrangebyscore(this.#key, `(${now}`, '+inf', 'WITHSCORES', 'LIMIT', 0, max + 1)
      .then((flat) => {
        const until = new Map<string, number>();
        for (let i = 0; i + 1 < flat.length; i += 2) until.set(String(flat[i]), num(flat[i + 1]));
        // Throttles published locally meanwhile are newer than this read: keep them.
        for (const [account, end] of this.#snapshot.until) {
          if (end > (until.get(account) ?? 0) && end > now) until.set(account, end);
        }
        if (readAt > this.#snapshot.readAt) {
          this.#snapshot = { until, isOverflow: flat.length / 2 > max, readAt };
        }
        return this.#snapshot;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }
}
