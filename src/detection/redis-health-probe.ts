/**
 * What the probe last concluded: `suspect` once Redis has been silent for `strikesToSuspect`
 * timeouts, `down` after `strikesToDown` (or on an error) until it answers in time again.
 */
export type RedisHealth = 'healthy' | 'suspect' | 'down';

/** Options of `RedisHealthProbe`; times in ms. */
export interface RedisHealthProbeOptions {
  /** One round trip on the probe's own connection (never the data connection); rejects on error. */
  readonly ping: () => Promise<unknown>;
  /** A ping unanswered this long (judged after our own loop had a turn to read it) is a strike. */
  readonly timeoutMs: number;
  /**
   * Strikes in a row that make Redis suspect: calls past their timeout then stop waiting for it.
   * Default 2, so a single blip of a busy host (e.g. Redis waiting for a CPU) changes nothing.
   */
  readonly strikesToSuspect?: number;
  /** Strikes in a row that mean down (the switch). Default 5: about a quarter second at 50 ms. */
  readonly strikesToDown?: number;
  /** Pause between pings while healthy. Default half the timeout (at least 5). */
  readonly intervalMs?: number;
  /** Pause between pings while down. Default 250. */
  readonly downIntervalMs?: number;
  /** Pings answered in time, in a row, that bring a down Redis back. Default 2. */
  readonly answersToRecover?: number;
  /** Told of every ping answered, in time or late (Redis is alive, whatever the verdict). */
  readonly onAnswer?: () => void;
  /** Receives the health after every verdict (an answer, a strike, an error) and why. */
  readonly onVerdict: (health: RedisHealth, reason: string) => void;
}

/** One ping in flight. */
interface Ping {
  strikes: number;
  isDone: boolean;
}

/**
 * Judges Redis by a ping on a connection of its own, so the service's own burst (queued on the
 * data connection, or waiting in our event loop) never counts: a ping is late only when its
 * reply had not reached our socket `timeoutMs` after it was written. The timer that judges
 * waits one more loop turn, and that turn's poll phase reads every reply already there.
 * An error (connection lost or refused) means down at once.
 */
export class RedisHealthProbe {
  readonly #ping: () => Promise<unknown>;
  readonly #timeoutMs: number;
  readonly #strikesToSuspect: number;
  readonly #strikesToDown: number;
  /** Pause between pings while healthy. */
  readonly intervalMs: number;
  readonly #downIntervalMs: number;
  readonly #answersToRecover: number;
  readonly #onVerdict: (health: RedisHealth, reason: string) => void;
  readonly #onAnswerHeard: () => void;
  #health: RedisHealth = 'healthy';
  #strikes = 0;
  #answersInTime = 0;
  #pending: Ping | null = null;
  /** The strike timer while a ping is in flight, else the timer of the next ping. */
  #timer: NodeJS.Timeout | null = null;
  #isRunning = false;

  /** Does nothing until `start`. */
  constructor(options: RedisHealthProbeOptions) {
    this.#ping = options.ping;
    this.#timeoutMs = options.timeoutMs;
    this.#strikesToDown = options.strikesToDown ?? 5;
    this.#strikesToSuspect = Math.min(options.strikesToSuspect ?? 2, this.#strikesToDown);
    this.intervalMs = options.intervalMs ?? Math.max(5, Math.floor(options.timeoutMs / 2));
    this.#downIntervalMs = options.downIntervalMs ?? 250;
    this.#answersToRecover = options.answersToRecover ?? 2;
    this.#onVerdict = options.onVerdict;
    this.#onAnswerHeard = options.onAnswer ?? (() => {});
  }

  /** The latest verdict (`healthy` before the first one). */
  health(): RedisHealth {
    return this.#health;
  }

  /** Starts pinging (idempotent). Timers are unref'd: the probe never keeps a process alive. */
  start(): void {
    if (this.#isRunning) return;
    this.#isRunning = true;
    this.#send();
  }

  /** Stops pinging; a ping in flight is ignored. */
  stop(): void {
    this.#isRunning = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
  }

  #send(): void {
    this.#timer = null;
    if (!this.#isRunning) return;
    const ping: Ping = { strikes: 0, isDone: false };
    this.#pending = ping;
    let reply: Promise<unknown>;
    try {
      reply = this.#ping();
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then(
      () => this.#onAnswer(ping),
      (error: unknown) => this.#onError(ping, error),
    );
    if (!ping.isDone) this.#armStrike(ping);
  }

  #armStrike(ping: Ping): void {
    this.#timer = setTimeout(() => setImmediate(() => this.#onLate(ping)), this.#timeoutMs);
    this.#timer.unref();
  }

  #onLate(ping: Ping): void {
    if (ping.isDone || ping !== this.#pending) return;
    ping.strikes += 1;
    this.#strikes += 1;
    this.#answersInTime = 0;
    const waitedMs = ping.strikes * this.#timeoutMs;
    this.#verdict(this.#healthOfStrikes(), `ping unanswered after ${waitedMs} ms`);
    if (this.#isRunning) this.#armStrike(ping);
  }

  #onAnswer(ping: Ping): void {
    if (!this.#settle(ping)) return;
    this.#onAnswerHeard();
    if (ping.strikes > 0) {
      // Slow but alive: the streak stands; ask again at once so a blip clears quickly.
      this.#verdict(this.#healthOfStrikes(), `ping answered after over ${this.#timeoutMs} ms`);
    } else if (this.#health === 'down' && this.#answersInTime + 1 < this.#answersToRecover) {
      this.#answersInTime += 1;
      this.#verdict('down', 'ping answered in time; waiting for another');
    } else {
      this.#strikes = 0;
      this.#answersInTime = 0;
      this.#verdict('healthy', 'ping answered in time');
    }
    this.#scheduleNext();
  }

  #onError(ping: Ping, error: unknown): void {
    if (!this.#settle(ping)) return;
    this.#strikes = Math.max(this.#strikes, this.#strikesToDown);
    this.#answersInTime = 0;
    this.#verdict('down', `ping failed: ${error instanceof Error ? error.message : String(error)}`);
    this.#scheduleNext();
  }

  /** Marks the ping answered; false when it no longer matters (stopped or already judged). */
  #settle(ping: Ping): boolean {
    if (ping.isDone) return false;
    ping.isDone = true;
    if (ping !== this.#pending) return false;
    this.#pending = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    return this.#isRunning;
  }

  /** Down stays down until answers in time bring it back (see `#onAnswer`). */
  #healthOfStrikes(): RedisHealth {
    if (this.#health === 'down' || this.#strikes >= this.#strikesToDown) return 'down';
    return this.#strikes >= this.#strikesToSuspect ? 'suspect' : 'healthy';
  }

  #scheduleNext(): void {
    if (!this.#isRunning) return;
    // A streak in progress is settled by the next ping at once; down is asked less often.
    const delay =
      this.#health === 'down' ? this.#downIntervalMs : this.#strikes > 0 ? 0 : this.intervalMs;
    this.#timer = setTimeout(() => this.#send(), delay);
    this.#timer.unref();
  }

  #verdict(health: RedisHealth, reason: string): void {
    this.#health = health;
    this.#onVerdict(health, reason);
  }
}
