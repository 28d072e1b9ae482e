import type { RedisClient } from '../store/redis-client.ts';
import {
  type AlertSample,
  type AlertWindowStore,
  type AlertWindowStoreOptions,
  type Ranked,
  severityOfRank,
  severityRank,
  TOP_COUNT,
  trackingCapOf,
  type WindowState,
  type WindowSummary,
} from './alert-window.ts';
import { ADD_EVENT, CLAIM_DIGEST } from './redis-alert-window-scripts.ts';

/** Options of `RedisAlertWindowStore`. */
export interface RedisAlertWindowStoreOptions extends AlertWindowStoreOptions {
  /** Isolates fleets (or tests) sharing one Redis; default none. */
  readonly keyPrefix?: string;
}

/**
 * Alert windows in Redis, shared by every instance on it: one first alert and one digest per
 * rule and window for the whole fleet. Keys: `<prefix>{alerts}:…` (one cluster slot).
 */
export class RedisAlertWindowStore implements AlertWindowStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #cap: number;

  /** Throws a RangeError when `maxTrackedPerWindow` is not a whole number ≥ 1. */
  constructor(client: RedisClient, options: RedisAlertWindowStoreOptions = {}) {
    this.#client = client;
    this.#prefix = `${options.keyPrefix ?? ''}{alerts}`;
    this.#cap = trackingCapOf(options);
  }

  async add(rule: string, sample: AlertSample, now: number, windowMs: number): Promise<boolean> {
    const opened = await this.#client.eval(
      ADD_EVENT,
      5,
      ...this.#keys(rule),
      rule,
      now,
      windowMs,
      sample.at,
      sample.ip ?? '',
      sample.account ?? '',
      sample.action ?? '',
      severityRank(sample.severity),
      ttlMs(windowMs),
      this.#cap,
    );
    return opened === 1;
  }

  async claimDue(now: number, windowMs: number): Promise<WindowSummary[]> {
    const rules = await this.#client.smembers(this.#rulesKey());
    const due: WindowSummary[] = [];
    for (const rule of rules) {
      const reply = await this.#client.eval(
        CLAIM_DIGEST,
        5,
        ...this.#keys(rule),
        rule,
        now,
        windowMs,
        TOP_COUNT,
        ttlMs(windowMs),
      );
      if (Array.isArray(reply) && reply.length > 1) due.push(toSummary(rule, reply));
    }
    return due;
  }

  async snapshot(now: number): Promise<WindowState[]> {
    const rules = await this.#client.smembers(this.#rulesKey());
    const states: WindowState[] = [];
    for (const rule of rules) {
      const [state, ips] = await Promise.all([
        this.#client.hmget(this.#keys(rule)[0], 'end', 'count'),
        this.#client.zcard(this.#keys(rule)[1]),
      ]);
      const end = Number(state[0]);
      if (state[0] === null || !Number.isFinite(end)) continue;
      states.push({
        rule,
        isOpen: end > now,
        windowEnd: end,
        eventCount: Number(state[1] ?? 0),
        distinctIps: ips,
      });
    }
    return states;
  }

  #rulesKey(): string {
    return `${this.#prefix}:rules`;
  }

  #keys(rule: string): [string, string, string, string, string] {
    const base = `${this.#prefix}:${rule}`;
    return [`${base}:w`, `${base}:ips`, `${base}:accounts`, `${base}:actions`, this.#rulesKey()];
  }
}

// Long enough to outlive a window and its successor; only reclaims memory of a dead fleet.
function ttlMs(windowMs: number): number {
  return windowMs * 3 + 60_000;
}

function toSummary(rule: string, reply: unknown[]): WindowSummary {
  const num = (index: number) => Number(reply[index] ?? 0);
  return {
    rule,
    eventCount: num(0),
    windowStart: num(1),
    windowEnd: num(2),
    firstAt: num(3),
    lastAt: num(4),
    severity: severityOfRank(num(5)),
    distinctIps: num(6),
    distinctAccounts: num(7),
    isDistinctIpsCapped: num(11) > 0,
    isDistinctAccountsCapped: num(12) > 0,
    untrackedIpEvents: num(11),
    untrackedAccountEvents: num(12),
    topIps: ranked(reply[8]),
    topAccounts: ranked(reply[9]),
    actions: pairs(reply[10]),
  };
}

function ranked(flat: unknown): Ranked[] {
  const list = Array.isArray(flat) ? flat.map(String) : [];
  const out: Ranked[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    out.push({ value: list[i] ?? '', count: Number(list[i + 1]) });
  }
  return out;
}

function pairs(flat: unknown): Record<string, number> {
  return Object.fromEntries(ranked(flat).map((entry) => [entry.value, entry.count]));
}
