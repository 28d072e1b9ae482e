import { availableParallelism } from 'node:os';
import { ServiceBusyError } from '../errors.ts';

/** Limits for {@link HashQueue}. */
export interface HashQueueOptions {
  /** Hashes running at once; default: number of CPUs. */
  readonly maxInFlight?: number;
  /** Hashes waiting in FIFO order beyond those running; default 512. */
  readonly maxQueued?: number;
  /** `Retry-After` seconds on the ServiceBusyError when full; default 1. */
  readonly retryAfterSeconds?: number;
  /** Told how long each task waited for a slot before it started (ms; 0 when none), for metrics. */
  readonly onWait?: (waitMs: number) => void;
}

/**
 * Bounded FIFO for CPU-heavy password work: at most `maxInFlight` tasks run, at most
 * `maxQueued` wait; past that `run` rejects with ServiceBusyError instead of queueing.
 */
export class HashQueue {
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #retryAfterSeconds: number;
  readonly #onWait: ((waitMs: number) => void) | null;
  readonly #waiting: Array<() => void> = [];
  #inFlight = 0;

  constructor(options: HashQueueOptions = {}) {
    this.#maxInFlight = options.maxInFlight ?? availableParallelism();
    this.#maxQueued = options.maxQueued ?? 512;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.#onWait = options.onWait ?? null;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) {
      throw new RangeError('maxInFlight must be a positive integer');
    }
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 0) {
      throw new RangeError('maxQueued must be a non-negative integer');
    }
  }

  /** Most tasks that run at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free. Rejects with ServiceBusyError when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const onWait = this.#onWait;
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      onWait?.(0);
      return this.#start(task);
    }
    if (this.#waiting.length >= this.#maxQueued) {
      return Promise.reject(new ServiceBusyError(this.#retryAfterSeconds));
    }
    const queuedAt = onWait === null ? 0 : performance.now();
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => {
        onWait?.(performance.now() - queuedAt);
        this.#start(task).then(resolve, reject);
      });
    });
  }

  // The slot is released in the task's own settle callback, which starts the next queued
  // task synchronously: no extra turn of the microtask queue between two hashes, so the
  // thread that just finished gets new work at once. #inFlight stays counted on hand-over.
  #start<T>(task: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = task();
    } catch (error) {
      this.#release();
      return Promise.reject(error);
    }
    return running.then(
      (value) => {
        this.#release();
        return value;
      },
      (error: unknown) => {
        this.#release();
        throw error;
      },
    );
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }
}
