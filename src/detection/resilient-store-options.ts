import type { SecurityEventBus } from '../events/index.ts';
import type { CounterStore } from '../store/index.ts';
import type { RedisHealth } from './redis-health-probe.ts';

/** `ok`: the primary store answers; `degraded`: the in-process fallback is counting. */
export type StoreStatus = 'ok' | 'degraded';

/** How a primary store call ended: answered, failed, or answered from the fallback while late. */
export type StoreCallOutcome = 'ok' | 'error' | 'timeout';

/** Told each primary call's duration (seconds) and outcome, e.g. by a metrics histogram. */
export type StoreCallObserver = (seconds: number, outcome: StoreCallOutcome) => void;

/** Options of `ResilientCounterStore`; times in ms. */
export interface ResilientStoreOptions {
  readonly primary: CounterStore;
  readonly bus: SecurityEventBus;
  /**
   * Redis's health as a separate probe judges it (see `RedisHealthProbe`); the store is told
   * each verdict through `onHealth`. Only this, a primary error or the hard limit switch to the
   * fallback. Default: always healthy (no probe).
   */
  readonly health?: () => RedisHealth;
  readonly clock?: () => number;
  /** Used while degraded (default: a new `MemoryCounterStore`). */
  readonly fallback?: CounterStore;
  /** A call unanswered this long asks the probe: the fallback if Redis is late, else wait. Default 50. */
  readonly timeoutMs?: number;
  /**
   * A call still unanswered this long while the probe finds Redis healthy means its connection
   * is broken: switch to the fallback. Default 5000.
   */
  readonly hardTimeoutMs?: number;
  /**
   * Nothing heard from Redis this long (no call answered, no `onRedisAnswer`): calls past
   * `timeoutMs` stop waiting and answer from the fallback, without a switch. The probe pings
   * every interval, so a silent Redis is found `timeoutMs` + one probe interval after its last
   * word; a Redis busy with our burst keeps answering calls, so it is never silent. Default:
   * never (only the probe's verdicts release calls).
   */
  readonly silenceMs?: number;
  /** Told when calls stop waiting for a late Redis without a switch (once per episode). */
  readonly onLateCalls?: (count: number, reason: string) => void;
  /** How often to try the primary again while degraded. Default 1000. */
  readonly probeIntervalMs?: number;
  /** Observes every primary call (not the fallback's); none by default. */
  readonly onCallTimed?: StoreCallObserver;
}
