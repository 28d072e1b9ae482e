import { type AlertChannel, type ChannelName, classifyDeliveryError } from './alert-channel.ts';
import type { AlertMessage } from './alert-message.ts';
import { attemptSignal } from './attempt-signal.ts';

/** How a message ended on one channel; also the `outcome` column of the `alerts` table. */
export type DeliveryOutcome = 'sent' | 'failed' | 'dropped';

/** The final word on one message on one channel. */
export interface DeliveryResult {
  readonly channel: ChannelName;
  readonly message: AlertMessage;
  readonly outcome: DeliveryOutcome;
  readonly attempts: number;
  /** Class of the last error (see `classifyDeliveryError`); null when sent. */
  readonly errorClass: string | null;
  /** Epoch ms when the message was queued. */
  readonly queuedAt: number;
}

/** Limits and timing of the queue. Durations in ms. */
export interface DeliveryQueueOptions {
  /** Messages waiting (all channels together) beyond which new ones are dropped. */
  readonly maxQueued: number;
  /** Messages sent at the same time per channel. */
  readonly concurrency: number;
  readonly maxAttempts: number;
  /** First retry delay; doubles each retry up to `maxDelayMs`, then jittered (50–100%). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One attempt is aborted after this long. */
  readonly attemptTimeoutMs: number;
  /** No attempt starts, and none runs on, past this long after queueing: then it failed. */
  readonly deadlineMs: number;
  readonly clock: () => number;
  /** In [0, 1); injected so tests can pin the jitter. */
  readonly random: () => number;
  /** Called once per message and channel with its final outcome; must not throw. */
  readonly onResult: (result: DeliveryResult) => void;
  /** Waits between attempts, cut short by `signal` (shutdown); injected so tests see the delays. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Defaults: 5 attempts over at most a minute, 2 at a time per channel, 200 waiting. */
export const DEFAULT_DELIVERY_OPTIONS = {
  maxQueued: 200,
  concurrency: 2,
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15_000,
  attemptTimeoutMs: 10_000,
  deadlineMs: 60_000,
} as const;

interface Job {
  readonly channel: AlertChannel;
  readonly message: AlertMessage;
  readonly queuedAt: number;
  readonly settle: (result: DeliveryResult) => void;
}

interface Lane {
  readonly waiting: Job[];
  active: number;
}

/**
 * A bounded queue of alert deliveries with per-channel concurrency, retries with exponential
 * backoff and jitter, a per-attempt timeout and a deadline. Nothing here is awaited by a
 * request: `enqueue` returns at once. `close` flushes within a budget and drops the rest.
 */
export class DeliveryQueue {
  readonly #options: DeliveryQueueOptions;
  readonly #lanes = new Map<ChannelName, Lane>();
  // Aborted by `close` when the flush budget is spent: every wait and attempt ends at once.
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<void>>();
  #isClosing = false;

  constructor(options: DeliveryQueueOptions) {
    this.#options = options;
  }

  /** Messages waiting for a slot (not counting those being sent). */
  get waiting(): number {
    let count = 0;
    for (const lane of this.#lanes.values()) count += lane.waiting.length;
    return count;
  }

  /** Queues `message` for `channel`; resolves with its final result (never rejects). */
  deliver(channel: AlertChannel, message: AlertMessage): Promise<DeliveryResult> {
    return new Promise((resolve) => {
      const job: Job = {
        channel,
        message,
        queuedAt: this.#options.clock(),
        settle: (result) => {
          this.#options.onResult(result);
          resolve(result);
        },
      };
      if (this.#isClosing || this.waiting >= this.#options.maxQueued) {
        job.settle(resultOf(job, 'dropped', 0, this.#isClosing ? 'shutdown' : 'queue_full'));
        return;
      }
      const lane = this.#lane(channel.name);
      lane.waiting.push(job);
      this.#pump(lane);
    });
  }

  /**
   * Stops taking messages, lets queued and running ones finish for up to `flushMs`, then
   * aborts what is left: each of those ends `dropped`. Resolves once every job has settled.
   */
  async close(flushMs: number): Promise<void> {
    this.#isClosing = true;
    const timer = setTimeout(() => this.#stop.abort(), Math.max(0, flushMs));
    try {
      while (this.#running.size > 0 || this.waiting > 0) {
        if (this.#stop.signal.aborted) this.#dropWaiting();
        await Promise.race([...this.#running]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #lane(name: ChannelName): Lane {
    let lane = this.#lanes.get(name);
    if (lane === undefined) {
      lane = { waiting: [], active: 0 };
      this.#lanes.set(name, lane);
    }
    return lane;
  }

  #pump(lane: Lane): void {
    while (lane.active < this.#options.concurrency && lane.waiting.length > 0) {
      const job = lane.waiting.shift();
      if (job === undefined) return;
      lane.active += 1;
      const run = this.#run(job).finally(() => {
        lane.active -= 1;
        this.#running.delete(run);
        this.#pump(lane);
      });
      this.#running.add(run);
    }
  }

  #dropWaiting(): void {
    for (const lane of this.#lanes.values()) {
      for (const job of lane.waiting.splice(0)) {
        job.settle(resultOf(job, 'dropped', 0, 'shutdown'));
      }
    }
  }

  async #run(job: Job): Promise<void> {
    const { clock, maxAttempts, attemptTimeoutMs } = this.#options;
    const deadline = job.queuedAt + this.#options.deadlineMs;
    let errorClass = 'error';
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (this.#stop.signal.aborted)
        return job.settle(resultOf(job, 'dropped', attempt - 1, 'shutdown'));
      const left = deadline - clock();
      if (left <= 0) return job.settle(resultOf(job, 'failed', attempt - 1, errorClass));
      const { signal, release } = attemptSignal(
        this.#stop.signal,
        Math.min(attemptTimeoutMs, left),
      );
      try {
        await job.channel.send(job.message, signal);
        return job.settle(resultOf(job, 'sent', attempt, null));
      } catch (error) {
        if (this.#stop.signal.aborted)
          return job.settle(resultOf(job, 'dropped', attempt, 'shutdown'));
        const isTimeout =
          signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
        errorClass = isTimeout ? 'timeout' : classifyDeliveryError(error);
      } finally {
        release();
      }
      if (attempt === maxAttempts) break;
      const delay = this.#backoffMs(attempt);
      if (clock() + delay >= deadline)
        return job.settle(resultOf(job, 'failed', attempt, errorClass));
      await (this.#options.sleep ?? sleep)(delay, this.#stop.signal);
    }
    job.settle(resultOf(job, 'failed', maxAttempts, errorClass));
  }

  // Exponential, capped, with "equal jitter": between half and all of the step, so instances
  // that failed together do not retry together.
  #backoffMs(attempt: number): number {
    const { baseDelayMs, maxDelayMs, random } = this.#options;
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (random() * step) / 2);
  }
}

function resultOf(
  job: Job,
  outcome: DeliveryOutcome,
  attempts: number,
  errorClass: string | null,
): DeliveryResult {
  return {
    channel: job.channel.name,
    message: job.message,
    outcome,
    attempts,
    errorClass,
    queuedAt: job.queuedAt,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
