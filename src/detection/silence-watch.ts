/**
 * How long Redis has said nothing at all: no data call answered and no health ping answered.
 * A Redis busy with our own burst keeps answering data calls even while a ping queues behind
 * them, so only a Redis that is stopped, stalled or cut off is silent. Times are
 * `performance.now()` (faked by tests with an injected clock); every check waits one more loop
 * turn first, so a reply that reached our socket while our event loop was busy is read (poll
 * phase) before silence is judged: our own queueing never counts.
 */
export class SilenceWatch {
  readonly #silenceMs: number;
  readonly #onSilent: (silentMs: number) => void;
  #heardAt: number;
  #timer: NodeJS.Timeout | null = null;
  /** Whether a check is due (its timer may have fired and wait for its loop turn). */
  #isArmed = false;

  /** `onSilent` is called when a `watch` finds nothing heard for `silenceMs` (Infinity: never). */
  constructor(silenceMs: number, onSilent: (silentMs: number) => void) {
    this.#silenceMs = silenceMs;
    this.#onSilent = onSilent;
    this.#heardAt = performance.now();
  }

  /** Redis answered something (a data call or a ping), now. */
  heard(): void {
    this.#heardAt = performance.now();
  }

  /** Whether nothing was heard for `silenceMs` (as of now; call after a loop turn). */
  isSilent(): boolean {
    return performance.now() - this.#heardAt >= this.#silenceMs;
  }

  /**
   * Calls `onSilent` once nothing has been heard for `silenceMs`, judged at the last answer
   * plus `silenceMs` (one timer, re-armed while answers keep coming). Idempotent while armed;
   * `stop` cancels it (e.g. when no call waits any more).
   */
  watch(): void {
    if (this.#isArmed || this.#silenceMs === Number.POSITIVE_INFINITY) return;
    this.#isArmed = true;
    const delay = Math.max(0, this.#heardAt + this.#silenceMs - performance.now());
    this.#timer = setTimeout(() => setImmediate(() => this.#check()), delay);
    this.#timer.unref();
  }

  /** Cancels a pending `watch`. */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#isArmed = false;
  }

  #check(): void {
    if (!this.#isArmed) return;
    this.#isArmed = false;
    this.#timer = null;
    const silentMs = performance.now() - this.#heardAt;
    if (silentMs >= this.#silenceMs) this.#onSilent(silentMs);
    else this.watch();
  }
}
