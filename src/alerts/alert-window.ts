import type { Severity } from '../events/severity.ts';

/** What one alertable event adds to its rule's window. Times are epoch ms. */
export interface AlertSample {
  readonly at: number;
  readonly ip: string | null;
  /** The account (user id) the event is about, if any. */
  readonly account: string | null;
  /** What the service did (`block`, `throttle`, `revoke`…), if the event says. */
  readonly action: string | null;
  readonly severity: Severity;
}

/** A value and how many events carried it (top IPs, top accounts). */
export interface Ranked {
  readonly value: string;
  readonly count: number;
}

/** Everything one digest reports: the events of one rule in one window. Times are epoch ms. */
export interface WindowSummary {
  readonly rule: string;
  /** The highest severity among the window's events. */
  readonly severity: Severity;
  readonly eventCount: number;
  /** Distinct IPs tracked; a lower bound when `isDistinctIpsCapped`. */
  readonly distinctIps: number;
  /** Distinct accounts tracked; a lower bound when `isDistinctAccountsCapped`. */
  readonly distinctAccounts: number;
  /** The window tracked its maximum of IPs and an event came from one more: see below. */
  readonly isDistinctIpsCapped: boolean;
  readonly isDistinctAccountsCapped: boolean;
  /** Events whose IP (account) was not tracked because the window was full; in `eventCount`. */
  readonly untrackedIpEvents: number;
  readonly untrackedAccountEvents: number;
  /** The most frequent tracked IPs and accounts (an untracked one never appears). */
  readonly topIps: readonly Ranked[];
  readonly topAccounts: readonly Ranked[];
  readonly firstAt: number;
  readonly lastAt: number;
  /** How many events reported each action. */
  readonly actions: Readonly<Record<string, number>>;
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** One rule's window as the admin API shows it. */
export interface WindowState {
  readonly rule: string;
  readonly isOpen: boolean;
  /** Epoch ms when the window's digest is due. */
  readonly windowEnd: number;
  /** Events held for the digest so far (the first alert's event not included). */
  readonly eventCount: number;
  readonly distinctIps: number;
}

/**
 * Where alert windows live: in Redis, shared by every instance, or in this process. Each call
 * is atomic, so of all instances exactly one sees `add` return true (sends the first alert)
 * and exactly one receives each due digest from `claimDue`.
 */
export interface AlertWindowStore {
  /**
   * Records `sample` under `rule` at `now`. True when no window was open: the caller sends the
   * first alert at once and a window of `windowMs` opens; false when it joins the open window.
   */
  add(rule: string, sample: AlertSample, now: number, windowMs: number): Promise<boolean>;
  /**
   * Takes the digests of every window ended by `now` that holds events, and opens the next
   * window for those rules (a quiet window just closes). Each digest goes to one caller only.
   */
  claimDue(now: number, windowMs: number): Promise<WindowSummary[]>;
  /** Every known rule's window. */
  snapshot(now: number): Promise<WindowState[]>;
}

/** How many top IPs and accounts a digest lists. */
export const TOP_COUNT = 5;

/**
 * How many distinct IPs, and separately accounts, one window tracks: a wide distributed attack
 * would otherwise grow a window without bound for all of ALERT_WINDOW_SECONDS.
 */
export const MAX_TRACKED_PER_WINDOW = 10_000;

/** Options of both window stores. */
export interface AlertWindowStoreOptions {
  /** Distinct IPs and accounts tracked per window (default `MAX_TRACKED_PER_WINDOW`). */
  readonly maxTrackedPerWindow?: number;
}

/** The tracking cap of `options`; throws a RangeError unless it is a whole number ≥ 1. */
export function trackingCapOf(options: AlertWindowStoreOptions): number {
  const cap = options.maxTrackedPerWindow ?? MAX_TRACKED_PER_WINDOW;
  if (!Number.isSafeInteger(cap) || cap < 1)
    throw new RangeError(`maxTrackedPerWindow must be a whole number ≥ 1, got ${cap}`);
  return cap;
}

const RANKS: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Severity as a number (info 0 … critical 4), for keeping the highest. */
export function severityRank(severity: Severity): number {
  return RANKS.indexOf(severity);
}

/** The severity of a rank from `severityRank` (info for anything unknown). */
export function severityOfRank(rank: number): Severity {
  return RANKS[rank] ?? 'info';
}
