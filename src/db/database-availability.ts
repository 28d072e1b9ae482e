import { ServiceUnavailableError } from '../errors.ts';

/** What the availability circuit reports when it recovers; times in milliseconds. */
export interface RecoveryInfo {
  /** How long the database was known to be down. */
  readonly downMs: number;
  /** Database calls refused without trying while it was down. */
  readonly refusedCount: number;
}

/** Options for `DatabaseAvailability`; times in milliseconds. */
export interface DatabaseAvailabilityOptions {
  /** One cheap round trip on a fresh connection; rejects when the database is unreachable. */
  readonly probe: () => Promise<void>;
  /** How often the database is probed while it is down. */
  readonly probeIntervalMs?: number;
  /** The `Retry-After` (seconds) of the 503 answered while it is down. */
  readonly retryAfterSeconds?: number;
  readonly clock?: () => number;
  /** Called once when an outage is confirmed (with the error that confirmed it). */
  readonly onDown?: (error: unknown) => void;
  /** Called once when the database answers again after an outage. */
  readonly onUp?: (info: RecoveryInfo) => void;
}

/** Default probe interval while the database is down (ms). */
export const DEFAULT_PROBE_INTERVAL_MS = 1000;

/** Default `Retry-After` of the 503 answered while the database is down (seconds). */
export const DEFAULT_DB_RETRY_AFTER_SECONDS = 5;

/**
 * A circuit over the database: a connection error makes it probe at once; a failed probe
 * confirms the outage, after which every database call fails fast with a 503 and a probe runs
 * every `probeIntervalMs` until one succeeds. One `onDown` and one `onUp` per outage, so the log
 * says it once, not per request. A single dropped connection whose probe succeeds is no outage.
 */
export class DatabaseAvailability {
  readonly #probe: () => Promise<void>;
  readonly #probeIntervalMs: number;
  readonly #retryAfterSeconds: number;
  readonly #clock: () => number;
  readonly #onDown: (error: unknown) => void;
  readonly #onUp: (info: RecoveryInfo) => void;
  #downSince: number | null = null;
  #refusedCount = 0;
  #probing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #isClosed = false;

  constructor(options: DatabaseAvailabilityOptions) {
    this.#probe = options.probe;
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_DB_RETRY_AFTER_SECONDS;
    this.#clock = options.clock ?? Date.now;
    this.#onDown = options.onDown ?? (() => {});
    this.#onUp = options.onUp ?? (() => {});
  }

  /** False from a confirmed outage until a probe succeeds again. */
  isUp(): boolean {
    return this.#downSince === null;
  }

  /** Throws `ServiceUnavailableError` at once while the database is known to be down. */
  assertUp(): void {
    if (this.#downSince === null) return;
    this.#refusedCount += 1;
    throw new ServiceUnavailableError(this.#retryAfterSeconds);
  }

  /** The 503 for a call that failed on a connection error; `cause` is kept for the log. */
  unavailableError(cause: unknown): ServiceUnavailableError {
    return new ServiceUnavailableError(this.#retryAfterSeconds, { cause });
  }

  /**
   * A connection error was seen (by a query, or by an idle or busy connection): probe now,
   * unless a probe is already running or the outage is already known. Never throws.
   */
  reportConnectionError(): void {
    if (this.#isClosed || this.#downSince !== null || this.#probing !== null) return;
    this.#startProbe();
  }

  /** Resolves once a running probe has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.#probing;
  }

  /** Stops probing; the circuit stays in whatever state it is in. */
  close(): void {
    this.#isClosed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #runProbe(): Promise<void> {
    try {
      await this.#probe();
    } catch (error) {
      this.#scheduleProbe();
      if (this.#downSince === null) {
        this.#downSince = this.#clock();
        this.#refusedCount = 0;
        this.#onDown(error);
      }
      return;
    }
    if (this.#downSince !== null) {
      const info = { downMs: this.#clock() - this.#downSince, refusedCount: this.#refusedCount };
      this.#downSince = null;
      this.#onUp(info);
    }
  }

  // The timer never keeps the process alive: shutdown must not wait for the database.
  #scheduleProbe(): void {
    if (this.#isClosed || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#isClosed || this.#probing !== null) return;
      this.#startProbe();
    }, this.#probeIntervalMs);
    this.#timer.unref();
  }

  // A throwing callback must not become an unhandled rejection: that would end the process.
  #startProbe(): void {
    this.#probing = this.#runProbe()
      .catch(() => {})
      .finally(() => {
        this.#probing = null;
      });
  }
}
