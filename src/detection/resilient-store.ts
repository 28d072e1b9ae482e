import {
  defaultSeverity,
  type SecurityEventBus,
  type SecurityEventDetails,
} from '../events/index.ts';
import {
  type AccountPrecheckInput,
  type AccountPrecheckResult,
  type AccountRecordInput,
  type AccountRecordResult,
  type BlockRecord,
  type CounterStore,
  type IpPrecheckInput,
  type IpPrecheckResult,
  type IpRecordInput,
  type IpRecordResult,
  MemoryCounterStore,
  type RefreshCountInput,
  type SetBlockInput,
} from '../store/index.ts';
import { type QueuedCall, SlowCallQueue } from './slow-call-queue.ts';

/** `ok`: the primary store answers; `degraded`: the in-process fallback is counting. */
export type StoreStatus = 'ok' | 'degraded';

/** Options of `ResilientCounterStore`; times in ms. */
export interface ResilientStoreOptions {
  readonly primary: CounterStore;
  readonly bus: SecurityEventBus;
  readonly clock?: () => number;
  /** Used while degraded (default: a new `MemoryCounterStore`). */
  readonly fallback?: CounterStore;
  /** A primary call slower than this counts as slow. Default 50. */
  readonly timeoutMs?: number;
  /** A call still unanswered after this fails over to the fallback at once. Default 250. */
  readonly hardTimeoutMs?: number;
  /** Consecutive slow calls that switch to the fallback. Default 3. */
  readonly slowCallsToDegrade?: number;
  /** How often to probe the primary while degraded. Default 1000. */
  readonly probeIntervalMs?: number;
}

/**
 * Degrade, never break: calls go to the primary store (Redis). An error, a call unanswered
 * after `hardTimeoutMs`, or `slowCallsToDegrade` calls in a row over `timeoutMs` switch to
 * the in-process fallback until a background PING answers. Each switch publishes one event.
 * Never rejects while the fallback works.
 */
export class ResilientCounterStore implements CounterStore {
  readonly #primary: CounterStore;
  readonly #fallback: CounterStore;
  readonly #bus: SecurityEventBus;
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #hardTimeoutMs: number;
  readonly #slowCallsToDegrade: number;
  #slowStreak = 0;
  /** Primary calls in flight, judged slow `timeoutMs` after they started (one shared timer). */
  readonly #slowCalls: SlowCallQueue<Watch<unknown>>;
  #status: StoreStatus = 'ok';
  #probe: NodeJS.Timeout | null = null;
  #isProbing = false;

  /** Starts healthy; the first failing call switches to the fallback. */
  constructor(options: ResilientStoreOptions) {
    this.#primary = options.primary;
    this.#fallback = options.fallback ?? new MemoryCounterStore();
    this.#bus = options.bus;
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 50;
    this.#hardTimeoutMs = Math.max(options.hardTimeoutMs ?? 250, this.#timeoutMs);
    this.#slowCallsToDegrade = options.slowCallsToDegrade ?? 3;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.#slowCalls = new SlowCallQueue(this.#timeoutMs, (watch) => this.#onSlow(watch));
  }

  /** For `/ready` and metrics. */
  status(): StoreStatus {
    return this.#status;
  }

  /** Stops the background probe (on shutdown). */
  close(): void {
    if (this.#probe !== null) clearInterval(this.#probe);
    this.#probe = null;
  }

  /** Probes the primary once now; switches back when it answers. For tests and `/ready`. */
  async probeNow(): Promise<StoreStatus> {
    if (this.#status === 'ok' || this.#isProbing) return this.#status;
    this.#isProbing = true;
    try {
      await this.#withTimeout(this.#primary.ping(), Math.max(this.#timeoutMs, 500));
      this.#recover();
    } catch {
      // Still down: keep counting in memory.
    } finally {
      this.#isProbing = false;
    }
    return this.#status;
  }

  /** See `CounterStore.precheckIp`. */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    return this.#run(
      (s) => s.precheckIp(input),
      (late) => this.#releaseLate(input, late),
    );
  }

  /**
   * A precheck answered from the fallback after the hard limit may still reserve a failure
   * slot on the primary later. Nobody records that login's outcome there, so after the
   * pending TTL the orphan would count as a failure: hand the slot back, in the background.
   */
  #releaseLate(input: IpPrecheckInput, late: IpPrecheckResult): void {
    if (late.reservation === null || input.account === null) return;
    this.#primary
      .recordIp({
        ipKey: input.ipKey,
        now: input.now,
        account: input.account,
        reservation: late.reservation,
        outcome: 'release',
        bruteForce: input.bruteForce,
        isExempt: input.isExempt,
      })
      .catch(() => {});
  }

  /** See `CounterStore.recordIp`. */
  recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    return this.#run((s) => s.recordIp(input));
  }

  /** See `CounterStore.precheckAccount`. */
  precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    return this.#run((s) => s.precheckAccount(input));
  }

  /** See `CounterStore.isSurelyUnthrottled`: asks the store now in use (no I/O, no timer). */
  isSurelyUnthrottled(account: string, now: number): boolean {
    const store = this.#status === 'degraded' ? this.#fallback : this.#primary;
    return store.isSurelyUnthrottled(account, now);
  }

  /** See `CounterStore.recordAccount`. */
  recordAccount(input: AccountRecordInput): Promise<AccountRecordResult> {
    return this.#run((s) => s.recordAccount(input));
  }

  /** See `CounterStore.countRefresh`. */
  countRefresh(input: RefreshCountInput): Promise<number> {
    return this.#run((s) => s.countRefresh(input));
  }

  /** See `CounterStore.setBlock`. */
  setBlock(input: SetBlockInput): Promise<BlockRecord> {
    return this.#run((s) => s.setBlock(input));
  }

  /** See `CounterStore.getBlock`. */
  getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    return this.#run((s) => s.getBlock(ipKey, now));
  }

  /** See `CounterStore.listBlocks`. */
  listBlocks(now: number): Promise<BlockRecord[]> {
    return this.#run((s) => s.listBlocks(now));
  }

  /** See `CounterStore.unblock`. */
  unblock(ipKey: string, now: number): Promise<boolean> {
    return this.#run((s) => s.unblock(ipKey, now));
  }

  /** Resolves whether or not the primary answers (the fallback always does). */
  async ping(): Promise<void> {}

  /**
   * One primary call under watch: its answer when it settles in time; the fallback's on an
   * error or when unanswered after the hard limit. A call slower than `timeoutMs` still
   * answers from the primary (counts stay exact) but extends the slow streak; a streak of
   * `slowCallsToDegrade` switches everyone to the fallback. `onAbandoned` receives a primary
   * answer that arrived after the fallback answered, to undo its side effects.
   * Not `async` and no named closures: one promise and one small record per call, the slow
   * timer shared (`SlowCallQueue`; under tsx every named closure costs a `__name` call).
   */
  #run<T>(
    operation: (store: CounterStore) => Promise<T>,
    onAbandoned?: (late: T) => void,
  ): Promise<T> {
    if (this.#status === 'degraded') return this.#fromFallback(operation);
    let call: Promise<T>;
    try {
      call = operation(this.#primary);
    } catch (error) {
      this.#degrade(error);
      return this.#fromFallback(operation);
    }
    return new Promise<T>((resolve) => {
      const watch: Watch<T> = {
        phase: 'waiting',
        deadline: 0,
        hardTimer: undefined,
        call,
        operation,
        onAbandoned,
        resolve,
      };
      // Variance only: the queue never resolves a watch, it only judges it slow.
      this.#slowCalls.add(watch as unknown as Watch<unknown>);
      call.then(
        (value) => this.#onAnswer(watch, value),
        (error: unknown) => this.#onFailure(watch, error),
      );
    });
  }

  #onAnswer<T>(watch: Watch<T>, value: T): void {
    if (watch.phase === 'done') return;
    this.#finish(watch);
    watch.resolve(value);
  }

  /** An error in time is not a slow call: it resets the streak, and degrades by itself. */
  #onFailure<T>(watch: Watch<T>, error: unknown): void {
    if (watch.phase === 'done') return;
    this.#finish(watch);
    this.#answerFromFallback(watch, error);
  }

  #finish<T>(watch: Watch<T>): void {
    if (watch.phase === 'waiting') this.#slowStreak = 0;
    else clearTimeout(watch.hardTimer);
    watch.phase = 'done';
    this.#slowCalls.settled();
  }

  /**
   * Slow, not dead: keep waiting for the primary up to the hard limit. Judged one loop turn
   * after the limit (see `SlowCallQueue`), as is the hard limit below.
   */
  #onSlow<T>(watch: Watch<T>): void {
    if (watch.phase !== 'waiting') return;
    watch.phase = 'slow';
    this.#slowStreak += 1;
    if (this.#slowStreak >= this.#slowCallsToDegrade) {
      this.#degrade(new Error(`${this.#slowStreak} store calls over ${this.#timeoutMs} ms`));
    }
    const rest = this.#hardTimeoutMs - this.#timeoutMs;
    watch.hardTimer = setTimeout(() => setImmediate(() => this.#onHardLimit(watch)), rest);
  }

  #onHardLimit<T>(watch: Watch<T>): void {
    if (watch.phase !== 'slow') return;
    watch.phase = 'done';
    const { onAbandoned } = watch;
    if (onAbandoned !== undefined) watch.call.then(onAbandoned, () => {});
    this.#answerFromFallback(watch, new Error(`store call over ${this.#hardTimeoutMs} ms`));
  }

  #answerFromFallback<T>(watch: Watch<T>, error: unknown): void {
    this.#degrade(error);
    watch.resolve(this.#fromFallback(watch.operation));
  }

  /** The fallback's answer; a synchronous throw becomes a rejection (never a crash). */
  #fromFallback<T>(operation: (store: CounterStore) => Promise<T>): Promise<T> {
    try {
      return operation(this.#fallback);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`store call over ${timeoutMs} ms`)), timeoutMs);
    });
    promise.catch(() => {});
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #degrade(error: unknown): void {
    if (this.#status === 'degraded') return;
    this.#status = 'degraded';
    this.#publish('detection_store_degraded', {
      error: error instanceof Error ? error.message : String(error),
      timeoutMs: this.#timeoutMs,
      fallback: 'memory' as const,
    });
    this.#probe = setInterval(() => void this.probeNow(), this.#probeIntervalMs);
    this.#probe.unref();
  }

  #recover(): void {
    if (this.#status === 'ok') return;
    // A streak that ended in degrading must not degrade again at the first slow call after.
    this.#slowStreak = 0;
    this.#status = 'ok';
    this.close();
    this.#publish('detection_store_recovered', { store: 'primary' as const });
  }

  #publish<T extends 'detection_store_degraded' | 'detection_store_recovered'>(
    type: T,
    details: SecurityEventDetails[T],
  ): void {
    this.#bus.publish<T>({
      type,
      severity: defaultSeverity(type),
      at: this.#clock(),
      ip: null,
      userId: null,
      userAgent: null,
      rule: type,
      requestId: null,
      details,
    });
  }
}

/** A primary call under watch (see `ResilientCounterStore.#run`). */
interface Watch<T> extends QueuedCall {
  phase: 'waiting' | 'slow' | 'done';
  /** The hard-limit timer, once the call is slow. */
  hardTimer: NodeJS.Timeout | undefined;
  readonly call: Promise<T>;
  readonly operation: (store: CounterStore) => Promise<T>;
  readonly onAbandoned: ((late: T) => void) | undefined;
  readonly resolve: (value: T | Promise<T>) => void;
}
