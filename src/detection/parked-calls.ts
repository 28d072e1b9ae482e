import { SilenceWatch } from './silence-watch.ts';
import type { QueuedCall } from './slow-call-queue.ts';

/** Options of `ParkedCalls`; times in ms. */
export interface ParkedCallsOptions<T> {
  /** The watch timeout: a call is parked this long after it started (see `SlowCallQueue`). */
  readonly timeoutMs: number;
  /** A call parked this long since it started means a stuck connection (`onStuck`). */
  readonly hardTimeoutMs: number;
  /** Nothing heard from Redis this long releases every parked call (see `SilenceWatch`). */
  readonly silenceMs: number;
  /** Answers one released call from the fallback. */
  readonly release: (call: T) => void;
  /** The oldest call reached the hard limit (waited `waitedMs`); expected to release all. */
  readonly onStuck: (waitedMs: number) => void;
  /** Told when calls are released without a switch, once per episode. */
  readonly onLateCalls: (count: number, reason: string) => void;
}

/**
 * Primary calls past their timeout that keep waiting because Redis is not known to be late
 * (our own burst queued them): their answers keep the shared count exact. They are released
 * (answered from the fallback) when Redis falls silent, on a probe verdict (`release`), or
 * when the oldest reaches the hard limit. Parked in start order, so one timer per concern.
 */
export class ParkedCalls<T extends QueuedCall> {
  readonly #options: ParkedCallsOptions<T>;
  readonly #calls = new Set<T>();
  readonly #silence: SilenceWatch;
  /** Fires when the oldest parked call reaches the hard limit. */
  #hardTimer: NodeJS.Timeout | null = null;
  /** Whether `onLateCalls` was told since Redis last answered. */
  #isLateReported = false;

  /** Parks nothing until `add`. */
  constructor(options: ParkedCallsOptions<T>) {
    this.#options = options;
    this.#silence = new SilenceWatch(options.silenceMs, (ms) =>
      this.release(`nothing heard from Redis for ${Math.round(ms)} ms`),
    );
  }

  /** A call was issued (see `SilenceWatch.asked`). */
  asked(): void {
    this.#silence.asked();
  }

  /** Redis answered something now (a call or a ping); `stillWaiting`: calls remain. */
  heard(stillWaiting: boolean): void {
    this.#silence.heard(stillWaiting);
  }

  /** Calls parked now. */
  get size(): number {
    return this.#calls.size;
  }

  /** Redis answered in time again: the next release is a new episode, told again. */
  endEpisode(): void {
    this.#isLateReported = false;
  }

  /** Parks a call past its timeout. */
  add(call: T): void {
    this.#calls.add(call);
    this.#silence.watch();
    if (this.#hardTimer === null) this.#armHardTimer();
  }

  /** A parked call got its answer. */
  remove(call: T): void {
    this.#calls.delete(call);
    if (this.#calls.size === 0) this.#silence.stop();
  }

  /** Answers every parked call from the fallback; `reason` tells `onLateCalls` (once per episode). */
  release(reason: string | null): void {
    const calls = [...this.#calls];
    this.#calls.clear();
    this.#silence.stop();
    for (const call of calls) this.#options.release(call);
    if (reason !== null && calls.length > 0) this.reportLate(calls.length, reason);
  }

  /** Tells `onLateCalls` of calls that stopped waiting, once per episode. */
  reportLate(count: number, reason: string): void {
    if (this.#isLateReported) return;
    this.#isLateReported = true;
    this.#options.onLateCalls(count, reason);
  }

  /** Stops the timers (on shutdown). */
  close(): void {
    if (this.#hardTimer !== null) clearTimeout(this.#hardTimer);
    this.#hardTimer = null;
    this.#silence.stop();
  }

  #waitedMs(call: T): number {
    return performance.now() - (call.deadline - this.#options.timeoutMs);
  }

  /** One timer for the oldest parked call (Set order is park order, i.e. start order). */
  #armHardTimer(): void {
    this.#hardTimer = null;
    const oldest = this.#calls.values().next().value;
    if (oldest === undefined) return;
    // Judged one loop turn late, like every timeout here: a reply already read is no stall.
    this.#hardTimer = setTimeout(
      () => setImmediate(() => this.#onHardLimit()),
      this.#options.hardTimeoutMs - this.#waitedMs(oldest),
    );
    this.#hardTimer.unref();
  }

  /** A call parked past the hard limit while Redis pings fine: its connection is stuck. */
  #onHardLimit(): void {
    const oldest = this.#calls.values().next().value;
    if (oldest !== undefined) {
      const waitedMs = this.#waitedMs(oldest);
      if (waitedMs >= this.#options.hardTimeoutMs) {
        this.#options.onStuck(waitedMs);
        this.release(null);
      }
    }
    this.#armHardTimer();
  }
}
