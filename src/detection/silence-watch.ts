/**
 * How long Redis has been silent while asked: since the last answer (any data call or health
 * ping) if calls were still waiting then, else since the first call written after it. A Redis
 * busy with our own burst keeps answering calls, so only a Redis that is stopped, stalled or
 * cut off is silent. Times are `performance.now()` (faked by tests with an injected clock).
 * Our own queueing never counts: a call counts as asked once it is written (ioredis writes its
 * auto-pipeline in the check phase, so the mark is taken in a `setImmediate` queued after it),
 * not when a busy event loop issued it; and silence is only concluded after a poll phase that
 * began once the silence was already long enough and read nothing: a reply that reached our
 * socket while the loop was busy (in any phase, e.g. behind other `setImmediate` work) is read
 * before it is judged.
 */
export class SilenceWatch {
  readonly #silenceMs: number;
  readonly #onSilent: (silentMs: number) => void;
  /** Since when Redis owes an answer and has said nothing; null when it owes none. */
  #silentSince: number | null = null;
  #isMarkPending = false;
  #timer: NodeJS.Timeout | null = null;
  /** Whether a check is due (its timer may have fired and wait for its loop turn). */
  #isArmed = false;

  /** `onSilent` is called when a `watch` finds Redis silent for `silenceMs` (Infinity: never). */
  constructor(silenceMs: number, onSilent: (silentMs: number) => void) {
    this.#silenceMs = silenceMs;
    this.#onSilent = onSilent;
  }

  /** A call was just issued: Redis owes an answer from when it is written (one batch, one mark). */
  asked(): void {
    if (this.#silentSince !== null || this.#isMarkPending) return;
    this.#isMarkPending = true;
    setImmediate(() => {
      this.#isMarkPending = false;
      this.#silentSince ??= performance.now();
    });
  }

  /** Redis answered something (a data call or a ping) now; `stillWaiting`: calls remain. */
  heard(stillWaiting: boolean): void {
    this.#silentSince = stillWaiting ? performance.now() : null;
  }

  /** How long Redis has owed an answer without a word (0 when it owes none). */
  silentMs(): number {
    return this.#silentSince === null ? 0 : performance.now() - this.#silentSince;
  }

  /** Whether Redis has owed an answer for `silenceMs` (call after a loop turn). */
  isSilent(): boolean {
    return this.#silentSince !== null && this.silentMs() >= this.#silenceMs;
  }

  /**
   * Calls `onSilent` once Redis has been silent for `silenceMs`, judged `silenceMs` after the
   * silence began (one timer, re-armed while answers keep coming). Idempotent while armed;
   * `stop` cancels it (e.g. when no call waits any more).
   */
  watch(): void {
    if (this.#isArmed || this.#silenceMs === Number.POSITIVE_INFINITY) return;
    this.#isArmed = true;
    const since = this.#silentSince ?? performance.now();
    const delay = Math.max(0, since + this.#silenceMs - performance.now());
    this.#timer = setTimeout(() => setImmediate(() => this.#beforePoll()), delay);
    this.#timer.unref();
  }

  /** Cancels a pending `watch`. */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#isArmed = false;
  }

  // Long enough now: let one whole poll phase read what arrived, then judge (next check phase).
  #beforePoll(): void {
    if (!this.#isArmed) return;
    const since = this.#silentSince;
    if (since === null || performance.now() - since < this.#silenceMs) {
      this.#rearm();
      return;
    }
    setImmediate(() => this.#afterPoll(since));
  }

  #afterPoll(since: number): void {
    if (!this.#isArmed) return;
    // Anything heard since resets or moves `silentSince`; unchanged means the poll read nothing.
    if (this.#silentSince === since) {
      this.#isArmed = false;
      this.#timer = null;
      this.#onSilent(this.silentMs());
      return;
    }
    this.#rearm();
  }

  #rearm(): void {
    this.#isArmed = false;
    this.#timer = null;
    this.watch();
  }
}
