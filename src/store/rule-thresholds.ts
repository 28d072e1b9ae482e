import type { IpRuleName } from './counter-store.ts';

/**
 * The threshold decisions of the counter stores, each stated once with its TypeScript form
 * (the memory store) and its Lua form (the Redis scripts), side by side. A test evaluates
 * both on a grid of values (the Lua on a real Redis) and requires the same answers.
 */
export interface Threshold<A extends readonly unknown[]> {
  /** The decision in TypeScript. */
  readonly test: (...args: A) => boolean;
  /** The same decision as a Lua expression over the given Lua expressions. */
  readonly lua: (...args: { [K in keyof A]: string }) => string;
}

/** bot_activity: this request makes more than `limit` in the window. */
export const BOT_OVER: Threshold<[requests: number, limit: number]> = {
  test: (requests, limit) => requests > limit,
  lua: (requests, limit) => `${requests} > ${limit}`,
};

/** brute_force blocks: the failures already in the window reach the limit. */
export const BRUTE_BLOCKS: Threshold<[failures: number, limit: number]> = {
  test: (failures, limit) => failures >= limit,
  lua: (failures, limit) => `${failures} >= ${limit}`,
};

/** brute_force busy: failures and pending reservations fill the window (refuse, block nobody). */
export const BRUTE_BUSY: Threshold<[failures: number, pending: number, limit: number]> = {
  test: (failures, pending, limit) => failures + pending >= limit,
  lua: (failures, pending, limit) => `${failures} + ${pending} >= ${limit}`,
};

/** A reservation made at `at` with no outcome by `now` counts as a failure. */
export const STALE_PENDING: Threshold<[at: number, now: number, pendingTtlMs: number]> = {
  test: (at, now, pendingTtlMs) => at <= now - pendingTtlMs,
  lua: (at, now, pendingTtlMs) => `${at} <= ${now} - ${pendingTtlMs}`,
};

/** account_guard starts a throttle: enough failures from enough distinct IPs. */
export const GUARD_OVER: Threshold<
  [failures: number, distinctIps: number, failureLimit: number, distinctIpLimit: number]
> = {
  test: (failures, distinctIps, failureLimit, distinctIpLimit) =>
    failures >= failureLimit && distinctIps >= distinctIpLimit,
  lua: (failures, distinctIps, failureLimit, distinctIpLimit) =>
    `${failures} >= ${failureLimit} and ${distinctIps} >= ${distinctIpLimit}`,
};

/** Block reasons by rule, shown to admins. */
export const BLOCK_REASONS: Readonly<Record<IpRuleName, string>> = {
  brute_force: 'Too many failed logins',
  bot_activity: 'Too many credential requests',
};
