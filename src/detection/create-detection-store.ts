import type { SecurityEventBus } from '../events/index.ts';
import {
  type CounterStore,
  createRedisClient,
  MemoryCounterStore,
  type MemoryCounterStoreOptions,
  RedisCounterStore,
  waitForRedisReady,
} from '../store/index.ts';
import {
  ResilientCounterStore,
  type StoreCallObserver,
  type StoreStatus,
} from './resilient-store.ts';

/** Options of `createDetectionStore`. Without `redisUrl` the in-process store is used. */
export interface DetectionStoreOptions {
  readonly redisUrl?: string;
  readonly redisCluster?: boolean;
  readonly keyPrefix?: string;
  readonly bus: SecurityEventBus;
  readonly clock?: () => number;
  /** Redis call timeout before falling back to memory (ms). Default 50. */
  readonly timeoutMs?: number;
  readonly probeIntervalMs?: number;
  readonly memory?: MemoryCounterStoreOptions;
  /** Redis connection errors, each distinct one once per outage (e.g. to log them). */
  readonly onRedisError?: (error: Error) => void;
  /** Observes every Redis call's duration and outcome (metrics); not called in memory mode. */
  readonly onCallTimed?: StoreCallObserver;
}

/** A store for the detector plus its health and shutdown. */
export interface DetectionStore {
  readonly store: CounterStore;
  status(): StoreStatus;
  /**
   * Waits up to `timeoutMs` for the first Redis connection (resolves at once for memory).
   * Rejects when Redis is not ready in time; the store then runs degraded until it is.
   */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Composition helper: memory store, or Redis wrapped in a `ResilientCounterStore`
 * (timeout, memory fallback, background probe). Never throws on an unreachable Redis.
 */
export function createDetectionStore(options: DetectionStoreOptions): DetectionStore {
  if (options.redisUrl === undefined || options.redisUrl === '') {
    const store = new MemoryCounterStore(options.memory);
    return { store, status: () => 'ok', ready: async () => {}, close: async () => {} };
  }
  const client = createRedisClient(options.redisUrl, {
    cluster: options.redisCluster === true,
    onError: options.onRedisError,
  });
  const resilient = new ResilientCounterStore({
    primary: new RedisCounterStore(client, { keyPrefix: options.keyPrefix }),
    fallback: new MemoryCounterStore(options.memory),
    bus: options.bus,
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    probeIntervalMs: options.probeIntervalMs,
    onCallTimed: options.onCallTimed,
  });
  return {
    store: resilient,
    // Not connected (never yet, or reconnecting) is degraded even before any call fails over.
    status: () => (client.status === 'ready' ? resilient.status() : 'degraded'),
    ready: (timeoutMs) => waitForRedisReady(client, timeoutMs),
    close: async () => {
      resilient.close();
      // QUIT lets replies still in flight (e.g. the block index update) arrive first.
      await client.quit().catch(() => client.disconnect());
    },
  };
}
