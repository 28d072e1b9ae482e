import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.ts';

/** Options of `FleetHeartbeat`; times in ms. */
export interface FleetHeartbeatOptions {
  /** Key prefix shared by the fleet (as `RedisCounterStore`'s); must not contain braces. */
  readonly keyPrefix?: string;
  /** Epoch ms; every instance's clock must agree to well within `ttlMs`. */
  readonly clock?: () => number;
  /** How often this instance says it is alive. Default 1000. */
  readonly intervalMs?: number;
  /** An instance silent this long has left the fleet. Default 10000. */
  readonly ttlMs?: number;
}

// KEYS[1] the fleet sorted set (member: instance id, score: when it expires, epoch ms)
// ARGV[1] instance id, ARGV[2] now (epoch ms), ARGV[3] ttl (ms)
// Drops members expired by now, (re)adds this one, returns how many are alive.
const BEAT = `
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return redis.call('ZCARD', KEYS[1])
`;

/**
 * How many instances share this Redis: each one adds itself to one sorted set (one hash tag,
 * so one Redis Cluster slot) with an expiry, every `intervalMs`. `size()` is the last count
 * learned while Redis answered, kept through an outage (that is when it is needed); 1 until
 * the first beat. Errors are ignored: the health probe reports outages.
 */
export class FleetHeartbeat {
  readonly #client: RedisClient;
  readonly #key: string;
  readonly #id = randomUUID();
  readonly #clock: () => number;
  readonly #intervalMs: number;
  readonly #ttlMs: number;
  #size = 1;
  #timer: NodeJS.Timeout | null = null;

  /** Throws when `keyPrefix` contains a brace. Does nothing until `start`. */
  constructor(client: RedisClient, options: FleetHeartbeatOptions = {}) {
    const prefix = options.keyPrefix ?? 'fa:';
    if (prefix.includes('{') || prefix.includes('}')) {
      throw new Error(`Redis key prefix must not contain braces: ${prefix}`);
    }
    this.#client = client;
    this.#key = `${prefix}{fleet}:instances`;
    this.#clock = options.clock ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#ttlMs = options.ttlMs ?? 10_000;
  }

  /** Instances alive at the last beat Redis answered (this one included; at least 1). */
  size(): number {
    return this.#size;
  }

  /** Beats now and every `intervalMs` (unref'd timer). Idempotent. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.beat(), this.#intervalMs);
    this.#timer.unref();
    void this.beat();
  }

  /** One beat; resolves with the fleet size then (the old one when Redis did not answer). */
  async beat(): Promise<number> {
    try {
      const args = [this.#id, String(this.#clock()), String(this.#ttlMs)];
      const alive = await this.#client.eval(BEAT, 1, this.#key, ...args);
      if (typeof alive === 'number' && alive >= 1) this.#size = alive;
    } catch {
      // Redis away: keep the size learned while it was here.
    }
    return this.#size;
  }

  /** Stops beating and leaves the fleet at once (best effort), so the others' share grows. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#client.zrem(this.#key, this.#id).catch(() => {});
  }
}
