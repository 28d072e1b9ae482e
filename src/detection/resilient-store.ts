import type { SecurityEventBus } from '../events/index.ts';
import {
  type AccountPrecheckInput,
  type AccountPrecheckResult,
  type AccountRecordInput,
  type AccountRecordResult,
  type BlockRecord,
  type CounterStore,
  type IpCounters,
  type IpPeekInput,
  type IpPrecheckInput,
  type IpPrecheckResult,
  type IpRecordInput,
  type IpRecordResult,
  MemoryCounterStore,
  type RefreshCountInput,
  type ReputationInput,
  type ReputationScore,
  type SetBlockInput,
} from '../store/index.ts';
import { ParkedCalls } from './parked-calls.ts';
import type { RedisHealth } from './redis-health-probe.ts';
import type {
  ResilientStoreOptions,
  StoreCallObserver,
  StoreCallOutcome,
  StoreStatus,
} from './resilient-store-options.ts';
import type { Watch } from './resilient-watch.ts';
import { SlowCallQueue } from './slow-call-queue.ts';
import { publishStoreSwitch, withTimeout } from './store-switch-event.ts';

export type {
  ResilientStoreOptions,
  StoreCallObserver,
  StoreCallOutcome,
  StoreStatus,
} from './resilient-store-options.ts';

/**
 * Degrade, never break: calls go to the primary store (Redis). The switch to the in-process
 * fallback is decided by Redis's health, never by our own load: by a primary error, or by the
 * health probe finding Redis down. A call unanswered after `timeoutMs` is answered from the
 * fallback only while the probe finds Redis late too, or Redis has said nothing at all (no call
 * or ping answered) for `silenceMs`; otherwise it waits (queued behind our own burst, or
 * behind a Redis busy with it: its answer keeps the shared count exact). Back to the primary when the probe finds
 * Redis healthy and a PING on the data connection answers. Each switch publishes one event.
 * Never rejects while the fallback works.
 */
export class ResilientCounterStore implements CounterStore {
  readonly #primary: CounterStore;
  readonly #fallback: CounterStore;
  readonly #bus: SecurityEventBus;
  readonly #health: () => RedisHealth;
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #onCallTimed: StoreCallObserver | null;
  /** Primary calls in flight, looked at `timeoutMs` after they started (one shared timer). */
  readonly #slowCalls: SlowCallQueue<Watch<unknown>>;
  /** Calls past `timeoutMs` that wait because Redis is healthy, oldest first. */
  readonly #parked: ParkedCalls<Watch<unknown>>;
  #status: StoreStatus = 'ok';
  #lastHealth: RedisHealth = 'healthy';
  #probe: NodeJS.Timeout | null = null;
  #isProbing = false;

  /** Starts healthy; a failing call or a `down` verdict switches to the fallback. */
  constructor(options: ResilientStoreOptions) {
    this.#primary = options.primary;
    this.#fallback = options.fallback ?? new MemoryCounterStore();
    this.#bus = options.bus;
    this.#health = options.health ?? (() => 'healthy');
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 50;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.#onCallTimed = options.onCallTimed ?? null;
    this.#slowCalls = new SlowCallQueue(this.#timeoutMs, (watch) => this.#onSlow(watch));
    this.#parked = new ParkedCalls({
      timeoutMs: this.#timeoutMs,
      hardTimeoutMs: Math.max(options.hardTimeoutMs ?? 5000, this.#timeoutMs),
      silenceMs: options.silenceMs ?? Number.POSITIVE_INFINITY,
      release: (watch) => this.#abandon(watch),
      onStuck: (ms) => this.#degrade(new Error(`store call unanswered for ${Math.round(ms)} ms`)),
      onLateCalls: options.onLateCalls ?? (() => {}),
    });
  }

  /** Redis said something (a health ping's answer, bytes on the data connection): not silent. */
  onRedisAnswer(): void {
    this.#parked.heard(this.#hasCallsWaiting());
    this.#parked.endEpisode();
  }

  /** Primary calls not answered yet (waiting or parked). */
  #hasCallsWaiting(): boolean {
    return this.#slowCalls.size > 0 || this.#parked.size > 0;
  }

  /**
   * A verdict of the health probe: `down` switches to the fallback; `suspect` or `down` answer
   * the parked calls from it; `healthy` while degraded tries the primary again.
   */
  onHealth(health: RedisHealth, reason = 'health probe'): void {
    const wasHealthy = this.#lastHealth === 'healthy';
    this.#lastHealth = health;
    if (health === 'down') this.#degrade(new Error(`health probe: ${reason}`));
    if (health !== 'healthy') {
      this.#parked.release(reason);
      return;
    }
    this.#parked.endEpisode();
    // Only when Redis comes back: after a call error with Redis pinging fine all along, the
    // recovery timer retries, so a Redis that fails every call switches at most once a period.
    if (this.#status === 'degraded' && !wasHealthy) void this.probeNow();
  }

  /** For `/ready` and metrics. */
  status(): StoreStatus {
    return this.#status;
  }

  /** Stops the background timers (on shutdown). */
  close(): void {
    this.#stopRecoveryTimer();
    this.#parked.close();
  }

  #stopRecoveryTimer(): void {
    if (this.#probe !== null) clearInterval(this.#probe);
    this.#probe = null;
  }

  /**
   * Tries the primary once now when degraded and the probe finds Redis healthy: switches back
   * when a PING on the data connection answers. For tests and the recovery timer.
   */
  async probeNow(): Promise<StoreStatus> {
    if (this.#status === 'ok' || this.#isProbing || this.#health() !== 'healthy') {
      return this.#status;
    }
    this.#isProbing = true;
    try {
      await withTimeout(this.#primary.ping(), Math.max(this.#timeoutMs, 500));
      this.#recover();
    } catch {
      // Data connection not back yet: keep counting in memory.
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

  /** See `ReputationStore`: the store in use, as for the counters. */
  addReputation(input: ReputationInput): Promise<ReputationScore> {
    return this.#run((s) => s.addReputation(input));
  }
  getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    return this.#run((s) => s.getReputation(ipKey, now, halfLifeMs));
  }
  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean {
    const store = this.#status === 'degraded' ? this.#fallback : this.#primary;
    return store.isReputationAtLeast(ipKey, threshold, now);
  }

  /** See `CounterStore.peekIp`. */
  peekIp(input: IpPeekInput): Promise<IpCounters> {
    return this.#run((s) => s.peekIp(input));
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

  /** See `CounterStore.countBlocks`. */
  countBlocks(now: number): Promise<number> {
    return this.#run((s) => s.countBlocks(now));
  }

  /** See `CounterStore.unblock`. */
  unblock(ipKey: string, now: number): Promise<boolean> {
    return this.#run((s) => s.unblock(ipKey, now));
  }

  /** Resolves whether or not the primary answers (the fallback always does). */
  async ping(): Promise<void> {}

  /**
   * One primary call under watch: its answer when it settles; the fallback's on an error, or
   * when still unanswered after `timeoutMs` while the probe finds Redis late (else it waits:
   * see `#onSlow`). `onAbandoned` receives a primary answer that arrived after the fallback
   * answered, to undo its side effects.
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
        call,
        operation,
        onAbandoned,
        resolve,
      };
      // Variance only: the queue never resolves a watch, it only judges it slow.
      this.#slowCalls.add(watch as unknown as Watch<unknown>);
      this.#parked.asked();
      call.then(
        (value) => this.#onAnswer(watch, value),
        (error: unknown) => this.#onFailure(watch, error),
      );
    });
  }

  #onAnswer<T>(watch: Watch<T>, value: T): void {
    if (watch.phase === 'done') return;
    this.#finish(watch);
    this.#parked.heard(this.#hasCallsWaiting());
    if (this.#onCallTimed !== null) this.#observe(watch, 'ok');
    watch.resolve(value);
  }

  /** An error is Redis's, never our load's: it switches at once. */
  #onFailure<T>(watch: Watch<T>, error: unknown): void {
    if (watch.phase === 'done') return;
    this.#finish(watch);
    if (this.#onCallTimed !== null) this.#observe(watch, 'error');
    this.#degrade(error);
    watch.resolve(this.#fromFallback(watch.operation));
  }

  // The queue set `deadline` to start + timeoutMs: the start time without a clock read of its own.
  #observe<T>(watch: Watch<T>, outcome: StoreCallOutcome): void {
    const seconds = (performance.now() - watch.deadline + this.#timeoutMs) / 1000;
    this.#onCallTimed?.(seconds, outcome);
  }

  #finish<T>(watch: Watch<T>): void {
    if (watch.phase === 'slow') this.#parked.remove(watch as unknown as Watch<unknown>);
    watch.phase = 'done';
    this.#slowCalls.settled();
  }

  /**
   * Unanswered after `timeoutMs` (judged one loop turn late, see `SlowCallQueue`). Late
   * because Redis is (the probe is late too, or we are degraded): answer from the fallback
   * now. Late because of our own burst (the probe answers in time): park it and keep
   * waiting, so its count stays exact; a later `suspect` verdict releases it.
   */
  #onSlow<T>(watch: Watch<T>): void {
    if (watch.phase !== 'waiting') return;
    // A silent Redis is judged by the parked calls' silence watch (after a fresh poll phase).
    const health = this.#health();
    if (this.#status === 'degraded' || health !== 'healthy') {
      if (health !== 'healthy') this.#parked.reportLate(1, `Redis ${health}`);
      this.#abandon(watch);
      return;
    }
    watch.phase = 'slow';
    this.#parked.add(watch as unknown as Watch<unknown>);
  }

  /** Answers a watched call from the fallback; a late primary answer goes to `onAbandoned`. */
  #abandon<T>(watch: Watch<T>): void {
    if (watch.phase === 'slow') this.#parked.remove(watch as unknown as Watch<unknown>);
    watch.phase = 'done';
    if (this.#onCallTimed !== null) this.#observe(watch, 'timeout');
    const { onAbandoned } = watch;
    if (onAbandoned !== undefined) watch.call.then(onAbandoned, () => {});
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

  #degrade(error: unknown): void {
    if (this.#status === 'degraded') return;
    this.#status = 'degraded';
    publishStoreSwitch(this.#bus, 'detection_store_degraded', this.#clock(), {
      error: error instanceof Error ? error.message : String(error),
      timeoutMs: this.#timeoutMs,
      fallback: 'memory' as const,
    });
    this.#probe = setInterval(() => void this.probeNow(), this.#probeIntervalMs);
    this.#probe.unref();
    this.#parked.release(null);
  }

  #recover(): void {
    if (this.#status === 'ok') return;
    this.#status = 'ok';
    this.#stopRecoveryTimer();
    publishStoreSwitch(this.#bus, 'detection_store_recovered', this.#clock(), {
      store: 'primary' as const,
    });
  }
}
