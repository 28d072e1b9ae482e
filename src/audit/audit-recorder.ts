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
  /** Drop the oldest waiting events past this many (database down for long). */
  readonly maxBuffered?: number;
  readonly onError?: (error: unknown, droppedCount: number) => void;
}

/**
 * Writes security events to the `security_events` table in batches. Events are buffered in
 * memory so a request never waits on the database; `flush()` (called on shutdown) writes the rest.
 */
export class AuditRecorder {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #onError: (error: unknown, droppedCount: number) => void;
  #buffer: NewSecurityEventRow[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #isClosed = false;
  #written = 0;
  #dropped = 0;

  constructor(options: AuditRecorderOptions) {
    this.#db = options.db;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#maxBuffered = options.maxBuffered ?? 50_000;
    this.#onError = options.onError ?? (() => {});
  }

  /** Events written to the database since start (for metrics). */
  get written(): number {
    return this.#written;
  }

  /** Events dropped since start: buffer overflow while the database was down, or after close. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach(bus: SecurityEventBus): () => void {
    return bus.subscribe((event) => this.record(event));
  }

  /** Queues one event for writing. Never throws. */
  record(event: SecurityEvent): void {
    if (this.#isClosed) {
      this.#dropped += 1;
      return;
    }
    this.#buffer.push(toRow(event));
    if (this.#buffer.length > this.#maxBuffered) {
      const dropped = this.#buffer.length - this.#maxBuffered;
      this.#buffer.splice(0, dropped);
      this.#dropped += dropped;
      this.#onError(new Error('audit buffer full; oldest events dropped'), dropped);
    }
    if (this.#buffer.length >= this.#maxBatch) void this.flush();
    else this.#schedule(this.#flushIntervalMs);
  }

  /** Writes what is buffered, then stops: later events and retries are dropped (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    this.#isClosed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // Timers never keep the process alive: shutdown flushes explicitly.
  #schedule(delayMs: number): void {
    if (this.#isClosed || this.#timer) return;
    this.#timer = setTimeout(() => void this.flush(), delayMs);
    this.#timer.unref();
  }

  /** Writes everything buffered so far; resolves when it is on disk (or reported as failed). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#flushing = this.#flushing.then(() => this.#writeAll());
    return this.#flushing;
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#maxBatch);
      try {
        await this.#db.insertInto('security_events').values(batch).execute();
        this.#written += batch.length;
      } catch (error) {
        // Put the batch back for the next flush; the buffer cap bounds memory.
        this.#buffer.unshift(...batch);
        this.#onError(error, 0);
        this.#schedule(this.#flushIntervalMs * 4);
        return;
      }
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
