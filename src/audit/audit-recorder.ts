import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, NewSecurityEventRow } from '../db/index.ts';
import type { SecurityEvent, SecurityEventBus } from '../events/index.ts';

/** Options for the recorder; sizes in rows, times in milliseconds. */
export interface AuditRecorderOptions {
  readonly db: Kysely<Database>;
  /** Flush when this many events are waiting. */
  readonly maxBatch?: number;
  /** Flush at least this often while events are waiting. */
  readonly flushIntervalMs?: number;
  /** Retry a failed write this often, for as long as it fails. */
  readonly retryIntervalMs?: number;
  /** Drop the oldest waiting events past this many (database down for long). */
  readonly maxBuffered?: number;
  /**
   * True when a failed write may succeed later (the database is away). A batch that fails
   * otherwise (it can never be written) is dropped and counted, so it cannot hold up the rest.
   * Default: every failure is retried.
   */
  readonly isRetryable?: (error: unknown) => boolean;
  /**
   * Called once when writes start failing (droppedCount 0), once when the buffer cap is first
   * hit while they fail (with the count dropped so far), and for every batch dropped as
   * unwritable or left unwritten by `close` (with its size).
   */
  readonly onError?: (error: unknown, droppedCount: number) => void;
  /** Called once when writes succeed again after failing: what was written late and dropped. */
  readonly onRecovered?: (info: { writtenCount: number; droppedCount: number }) => void;
}

/**
 * Writes security events to the `security_events` table in batches. Events are buffered in
 * memory so a request never waits on the database; `flush()` (called on shutdown) writes the rest.
 * While the database is away the buffer is kept (up to `maxBuffered`, oldest dropped first and
 * counted) and retried every `retryIntervalMs`; writes are idempotent (by event id), so a batch
 * whose acknowledgement was lost with the connection is not written twice.
 */
export class AuditRecorder {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #retryIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #isRetryable: (error: unknown) => boolean;
  readonly #onError: (error: unknown, droppedCount: number) => void;
  readonly #onRecovered: (info: { writtenCount: number; droppedCount: number }) => void;
  #buffer: NewSecurityEventRow[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #isClosed = false;
  #pendingWrites = 0;
  /** Set from the first failed write until the buffer is written again. */
  #failure: { writtenCount: number; droppedCount: number } | null = null;
  #droppedCount = 0;
  #writtenCount = 0;

  constructor(options: AuditRecorderOptions) {
    this.#db = options.db;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#retryIntervalMs = options.retryIntervalMs ?? 1000;
    this.#maxBuffered = options.maxBuffered ?? 50_000;
    this.#isRetryable = options.isRetryable ?? (() => true);
    this.#onError = options.onError ?? (() => {});
    this.#onRecovered = options.onRecovered ?? (() => {});
  }

  /** Events dropped since this recorder was created (buffer cap, unwritable, closed unwritten). */
  get droppedCount(): number {
    return this.#droppedCount;
  }

  /** Events waiting to be written. */
  get bufferedCount(): number {
    return this.#buffer.length;
  }

  /** Events written to the database since this recorder was created (for metrics). */
  get writtenCount(): number {
    return this.#writtenCount;
  }

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach(bus: SecurityEventBus): () => void {
    return bus.subscribe((event) => this.record(event));
  }

  /** Queues one event for writing. Never throws. */
  record(event: SecurityEvent): void {
    if (this.#isClosed) {
      this.#droppedCount += 1;
      return;
    }
    this.#buffer.push(toRow(event));
    if (this.#buffer.length > this.#maxBuffered) {
      const dropped = this.#buffer.length - this.#maxBuffered;
      this.#buffer.splice(0, dropped);
      this.#droppedCount += dropped;
      const failure = this.#failure;
      if (failure === null) {
        this.#onError(new Error('audit buffer full; oldest events dropped'), dropped);
      } else {
        // Said once per outage, with the running total in the recovery report.
        if (failure.droppedCount === 0) {
          this.#onError(new Error('audit buffer full; oldest events dropped'), dropped);
        }
        failure.droppedCount += dropped;
      }
    }
    // While writes fail, the retry timer alone decides when to try again: no write per event.
    // While a write is queued or running, its loop takes the new events too: no flush per event.
    if (this.#failure !== null || this.#pendingWrites > 0) return;
    if (this.#buffer.length >= this.#maxBatch) void this.flush();
    else this.#schedule(this.#flushIntervalMs);
  }

  /** Writes what is buffered, then stops: what could not be written is dropped and counted. */
  async close(): Promise<void> {
    await this.flush();
    this.#isClosed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#buffer.length > 0) {
      const left = this.#buffer.length;
      this.#buffer = [];
      this.#droppedCount += left;
      this.#onError(new Error('audit events left unwritten at shutdown'), left);
    }
  }

  // Timers never keep the process alive: shutdown flushes explicitly.
  #schedule(delayMs: number): void {
    if (this.#isClosed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delayMs);
    this.#timer.unref();
  }

  /** Writes everything buffered so far; resolves when it is on disk (or reported as failed). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pendingWrites += 1;
    this.#flushing = this.#flushing.then(() => this.#writeAll());
    return this.#flushing;
  }

  async #writeAll(): Promise<void> {
    try {
      await this.#writeBuffered();
    } finally {
      this.#pendingWrites -= 1;
    }
  }

  async #writeBuffered(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#maxBatch);
      try {
        // The id makes a retry idempotent: the first try may have committed before its
        // connection dropped.
        await this.#db
          .insertInto('security_events')
          .values(batch)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        this.#writtenCount += batch.length;
      } catch (error) {
        if (!this.#isRetryable(error)) {
          this.#droppedCount += batch.length;
          this.#onError(error, batch.length);
          continue;
        }
        // Back at the front, to keep the order; the buffer cap bounds memory.
        this.#buffer.unshift(...batch);
        if (this.#failure === null) {
          this.#failure = { writtenCount: 0, droppedCount: 0 };
          this.#onError(error, 0);
        }
        this.#schedule(this.#retryIntervalMs);
        return;
      }
      if (this.#failure !== null) this.#failure.writtenCount += batch.length;
    }
    const failure = this.#failure;
    if (failure !== null) {
      this.#failure = null;
      this.#onRecovered(failure);
    }
  }
}

function toRow(event: SecurityEvent): NewSecurityEventRow {
  return {
    id: randomUUID(),
    created_at: event.at,
    type: event.type.slice(0, 64),
    severity: event.severity,
    ip: event.ip?.slice(0, 64) ?? null,
    user_id: event.userId,
    user_agent: event.userAgent?.slice(0, 512) ?? null,
    rule: event.rule?.slice(0, 64) ?? null,
    details: JSON.stringify(event.details ?? {}),
    request_id: event.requestId?.slice(0, 64) ?? null,
  };
}
