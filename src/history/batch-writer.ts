/** Options for `BatchWriter`; sizes in rows, times in milliseconds. */
export interface BatchWriterOptions<Row> {
  /** Writes one batch (one INSERT); rejects when it failed. */
  readonly write: (rows: Row[]) => Promise<void>;
  /** Write when this many rows are waiting. */
  readonly maxBatch?: number;
  /** Write at least this often while rows are waiting. */
  readonly flushIntervalMs?: number;
  /** Retry a failed write this often, for as long as it fails. */
  readonly retryIntervalMs?: number;
  /** Drop the oldest waiting rows past this many (database down for long). */
  readonly maxBuffered?: number;
  /** True when a failed write may succeed later; otherwise its batch is dropped and counted. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Once when writes start failing (0), when rows are dropped (their count). */
  readonly onError?: (error: unknown, droppedCount: number) => void;
  /** Once when writes succeed again after failing. */
  readonly onRecovered?: (info: { writtenCount: number; droppedCount: number }) => void;
}

/**
 * Buffers rows in memory and writes them in batches, by size or after `flushIntervalMs`, so the
 * caller never waits on the database. While writes fail the rows are kept (up to `maxBuffered`,
 * oldest dropped first) and retried every `retryIntervalMs`; `close` writes what is left.
 * `add` never throws and never blocks.
 */
export class BatchWriter<Row> {
  readonly #write: (rows: Row[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #retryIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #isRetryable: (error: unknown) => boolean;
  readonly #onError: (error: unknown, droppedCount: number) => void;
  readonly #onRecovered: (info: { writtenCount: number; droppedCount: number }) => void;
  #buffer: Row[] = [];
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();
  #pendingWrites = 0;
  #isClosed = false;
  #failure: { writtenCount: number; droppedCount: number } | null = null;
  #writtenCount = 0;
  #droppedCount = 0;
  #batchCount = 0;

  constructor(options: BatchWriterOptions<Row>) {
    this.#write = options.write;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#retryIntervalMs = options.retryIntervalMs ?? 1000;
    this.#maxBuffered = options.maxBuffered ?? 100_000;
    this.#isRetryable = options.isRetryable ?? (() => true);
    this.#onError = options.onError ?? (() => {});
    this.#onRecovered = options.onRecovered ?? (() => {});
  }

  /** Rows written since creation. */
  get writtenCount(): number {
    return this.#writtenCount;
  }

  /** Rows dropped since creation (buffer cap, unwritable, closed unwritten). */
  get droppedCount(): number {
    return this.#droppedCount;
  }

  /** Rows waiting to be written. */
  get bufferedCount(): number {
    return this.#buffer.length;
  }

  /** Batches written (one INSERT each) since creation. */
  get batchCount(): number {
    return this.#batchCount;
  }

  /** Queues one row. Never throws, never waits. */
  add(row: Row): void {
    if (this.#isClosed) {
      this.#droppedCount += 1;
      return;
    }
    this.#buffer.push(row);
    if (this.#buffer.length > this.#maxBuffered) this.#dropOldest();
    // While writes fail the retry timer decides; while a write runs its loop takes new rows.
    if (this.#failure !== null || this.#pendingWrites > 0) return;
    if (this.#buffer.length >= this.#maxBatch) void this.flush();
    else this.#schedule(this.#flushIntervalMs);
  }

  /** Writes everything buffered so far; resolves when written (or reported as failed). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pendingWrites += 1;
    this.#chain = this.#chain.then(async () => {
      try {
        await this.#writeBuffered();
      } finally {
        this.#pendingWrites -= 1;
      }
    });
    return this.#chain;
  }

  /** Writes what is buffered, then stops: what could not be written is dropped and counted. */
  async close(): Promise<void> {
    await this.flush();
    this.#isClosed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const left = this.#buffer.length;
    if (left > 0) {
      this.#buffer = [];
      this.#droppedCount += left;
      this.#onError(new Error('rows left unwritten at shutdown'), left);
    }
  }

  #dropOldest(): void {
    const dropped = this.#buffer.length - this.#maxBuffered;
    this.#buffer.splice(0, dropped);
    this.#droppedCount += dropped;
    // Said once per outage; the running total goes into the recovery report.
    if (this.#failure === null || this.#failure.droppedCount === 0) {
      this.#onError(new Error('buffer full; oldest rows dropped'), dropped);
    }
    if (this.#failure !== null) this.#failure.droppedCount += dropped;
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

  async #writeBuffered(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#maxBatch);
      try {
        await this.#write(batch);
        this.#writtenCount += batch.length;
        this.#batchCount += 1;
      } catch (error) {
        if (!this.#isRetryable(error)) {
          this.#droppedCount += batch.length;
          this.#onError(error, batch.length);
          continue;
        }
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
