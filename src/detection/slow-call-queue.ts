/** A watched call as the queue sees it: when it is due, and whether it is still waiting. */
export interface QueuedCall {
  /** `performance.now()` at which the call counts as slow; set by `add`. */
  deadline: number;
  readonly phase: 'waiting' | 'slow' | 'done';
}

/**
 * Calls watched for one fixed timeout, in start order, sharing one timer. Every call gets the
 * same timeout, so deadlines come in start order and only the head needs a timer; calls leave
 * from the head as they finish (Redis answers in order), so the queue holds about the calls in
 * flight. A timer waits one more loop turn before it judges: a reply that reached the socket
 * while the event loop was busy is read (poll phase) first, so our own stalls are not blamed.
 */
export class SlowCallQueue<T extends QueuedCall> {
  readonly #timeoutMs: number;
  readonly #onSlow: (call: T) => void;
  #calls: T[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | null = null;

  /** `onSlow` receives each call still waiting `timeoutMs` after it was added. */
  constructor(timeoutMs: number, onSlow: (call: T) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onSlow = onSlow;
  }

  /** Starts watching `call`. */
  add(call: T): void {
    const now = performance.now();
    call.deadline = now + this.#timeoutMs;
    this.#calls.push(call);
    if (this.#timer === null) this.#arm(now);
  }

  /** Tells the queue a call finished: finished calls leave from the head. */
  settled(): void {
    this.#dropFinished();
    if (this.#head === this.#calls.length && this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** Calls still watched (finished ones behind a waiting head included). */
  get size(): number {
    return this.#calls.length - this.#head;
  }

  #arm(now: number): void {
    const first = this.#calls[this.#head];
    if (first === undefined) return;
    const delay = Math.max(0, first.deadline - now);
    this.#timer = setTimeout(() => setImmediate(() => this.#expire()), delay);
  }

  #expire(): void {
    this.#timer = null;
    const now = performance.now();
    const calls = this.#calls;
    while (this.#head < calls.length) {
      const call = calls[this.#head] as T;
      if (call.phase === 'waiting') {
        if (call.deadline > now) break;
        this.#onSlow(call);
      }
      this.#head += 1;
    }
    this.#dropFinished();
    this.#arm(now);
  }

  #dropFinished(): void {
    const calls = this.#calls;
    let head = this.#head;
    while (head < calls.length && (calls[head] as T).phase !== 'waiting') head += 1;
    if (head === calls.length) {
      calls.length = 0;
      head = 0;
    } else if (head >= 1024 && head * 2 >= calls.length) {
      this.#calls = calls.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}
