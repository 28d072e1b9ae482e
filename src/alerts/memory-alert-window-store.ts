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

interface OpenWindow {
  start: number;
  end: number;
  count: number;
  firstAt: number;
  lastAt: number;
  severityRank: number;
  readonly ips: Tracked;
  readonly accounts: Tracked;
  readonly actions: Map<string, number>;
}

/** Events per value, up to the cap of distinct values; events of further values only counted. */
interface Tracked {
  readonly counts: Map<string, number>;
  untrackedEvents: number;
}

/** Alert windows of this process only (no Redis): de-duplication per instance. */
export class MemoryAlertWindowStore implements AlertWindowStore {
  readonly #windows = new Map<string, OpenWindow>();
  readonly #cap: number;

  /** Throws a RangeError when `maxTrackedPerWindow` is not a whole number ≥ 1. */
  constructor(options: AlertWindowStoreOptions = {}) {
    this.#cap = trackingCapOf(options);
  }

  async add(rule: string, sample: AlertSample, now: number, windowMs: number): Promise<boolean> {
    const window = this.#windows.get(rule);
    if (window === undefined || (window.end <= now && window.count === 0)) {
      this.#windows.set(rule, emptyWindow(now, now + windowMs));
      return true;
    }
    window.count += 1;
    if (window.count === 1) window.firstAt = sample.at;
    window.lastAt = sample.at;
    window.severityRank = Math.max(window.severityRank, severityRank(sample.severity));
    if (sample.ip !== null) track(window.ips, sample.ip, this.#cap);
    if (sample.account !== null) track(window.accounts, sample.account, this.#cap);
    if (sample.action !== null) increment(window.actions, sample.action);
    return false;
  }

  async claimDue(now: number, windowMs: number): Promise<WindowSummary[]> {
    const due: WindowSummary[] = [];
    for (const [rule, window] of this.#windows) {
      if (window.end > now) continue;
      if (window.count === 0) {
        this.#windows.delete(rule);
        continue;
      }
      due.push(summarize(rule, window));
      const nextEnd = window.end + windowMs > now ? window.end + windowMs : now + windowMs;
      this.#windows.set(rule, emptyWindow(window.end, nextEnd));
    }
    return due;
  }

  /** Digests of every window holding events, due or not (shutdown without a shared store). */
  takeAll(): WindowSummary[] {
    const all = [...this.#windows]
      .filter(([, window]) => window.count > 0)
      .map(([rule, window]) => summarize(rule, window));
    this.#windows.clear();
    return all;
  }

  async snapshot(now: number): Promise<WindowState[]> {
    return [...this.#windows].map(([rule, window]) => ({
      rule,
      isOpen: window.end > now,
      windowEnd: window.end,
      eventCount: window.count,
      distinctIps: window.ips.counts.size,
    }));
  }
}

function emptyWindow(start: number, end: number): OpenWindow {
  return {
    start,
    end,
    count: 0,
    firstAt: 0,
    lastAt: 0,
    severityRank: 0,
    ips: { counts: new Map(), untrackedEvents: 0 },
    accounts: { counts: new Map(), untrackedEvents: 0 },
    actions: new Map(),
  };
}

// A value already tracked keeps counting when the window is full; a new one is only counted.
function track(tracked: Tracked, value: string, cap: number): void {
  if (tracked.counts.has(value) || tracked.counts.size < cap) increment(tracked.counts, value);
  else tracked.untrackedEvents += 1;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function top(map: ReadonlyMap<string, number>): Ranked[] {
  return [...map]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1))
    .slice(0, TOP_COUNT)
    .map(([value, count]) => ({ value, count }));
}

function summarize(rule: string, window: OpenWindow): WindowSummary {
  return {
    rule,
    severity: severityOfRank(window.severityRank),
    eventCount: window.count,
    distinctIps: window.ips.counts.size,
    distinctAccounts: window.accounts.counts.size,
    isDistinctIpsCapped: window.ips.untrackedEvents > 0,
    isDistinctAccountsCapped: window.accounts.untrackedEvents > 0,
    untrackedIpEvents: window.ips.untrackedEvents,
    untrackedAccountEvents: window.accounts.untrackedEvents,
    topIps: top(window.ips.counts),
    topAccounts: top(window.accounts.counts),
    firstAt: window.firstAt,
    lastAt: window.lastAt,
    actions: Object.fromEntries(window.actions),
    windowStart: window.start,
    windowEnd: window.end,
  };
}
