import { Redis } from 'ioredis';
import type { SecurityEventBus } from '../events/index.ts';
import {
  type CounterStore,
  createRedisClient,
  FleetHeartbeat,
  MemoryCounterStore,
  type MemoryCounterStoreOptions,
  pingRedis,
  type RedisClient,
  RedisCounterStore,
  waitForRedisReady,
} from '../store/index.ts';
import { FleetShareStore } from './fleet-share-store.ts';
import { RedisHealthProbe, type RedisHealthProbeOptions } from './redis-health-probe.ts';
import { ResilientCounterStore } from './resilient-store.ts';
import type { StoreCallObserver, StoreStatus } from './resilient-store-options.ts';

/** Options of `createDetectionStore`. Without `redisUrl` the in-process store is used. */
export interface DetectionStoreOptions {
  readonly redisUrl?: string;
  readonly redisCluster?: boolean;
  readonly keyPrefix?: string;
  readonly bus: SecurityEventBus;
  readonly clock?: () => number;
  /** Redis slower than this (judged by the health probe) falls back to memory (ms). Default 50. */
  readonly timeoutMs?: number;
  /** How often a down Redis is pinged again (ms). Default 250. */
  readonly probeIntervalMs?: number;
  /** How often this instance tells the fleet it is alive (ms). Default 1000. */
  readonly heartbeatIntervalMs?: number;
  readonly memory?: MemoryCounterStoreOptions;
  /** Redis connection errors, each distinct one once per outage (e.g. to log them). */
  readonly onRedisError?: (error: Error) => void;
  /** Observes every Redis call's duration and outcome (metrics); not called in memory mode. */
  readonly onCallTimed?: StoreCallObserver;
  /** Calls that stopped waiting for a late Redis without a switch, once per episode (to log). */
  readonly onRedisLate?: (message: string) => void;
}

/** A store for the detector plus its health and shutdown. */
export interface DetectionStore {
  readonly store: CounterStore;
  status(): StoreStatus;
  /** Instances sharing this Redis, as last learned from it (1 for the in-process store). */
  fleetSize(): number;
  /**
   * Waits up to `timeoutMs` for the first Redis connections (resolves at once for memory).
   * Rejects when Redis is not ready in time; the store then runs degraded until it is.
   */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Composition helper: memory store, or Redis wrapped in a `ResilientCounterStore` whose switch
 * is decided by a health probe on a second connection, with a fleet heartbeat on that same
 * connection and the memory fallback cut to this instance's share of the fleet's limits.
 * Never throws on an unreachable Redis.
 */
export function createDetectionStore(options: DetectionStoreOptions): DetectionStore {
  if (options.redisUrl === undefined || options.redisUrl === '') {
    const store = new MemoryCounterStore(options.memory);
    const ok = (): StoreStatus => 'ok';
    return { store, status: ok, fleetSize: () => 1, ready: async () => {}, close: async () => {} };
  }
  const cluster = options.redisCluster === true;
  const client = createRedisClient(options.redisUrl, { cluster, onError: options.onRedisError });
  const { probeClient, fleet, probe } = watchRedisHealth(options.redisUrl, options, {
    onVerdict: (h, why) => resilient.onHealth(h, why),
    onAnswer: () => resilient.onRedisAnswer(),
  });
  const timeoutMs = options.timeoutMs ?? 50;
  const resilient = new ResilientCounterStore({
    primary: new RedisCounterStore(client, { keyPrefix: options.keyPrefix }),
    fallback: new FleetShareStore(new MemoryCounterStore(options.memory), () => fleet.size()),
    health: () => probe.health(),
    bus: options.bus,
    clock: options.clock,
    timeoutMs,
    // A healthy Redis is heard at least every probe interval: silent one timeout past that, it
    // has left a ping unanswered that long. One interval more of tolerance: a healthy Redis
    // answering a 1,000-login burst on a busy shared host was once seen silent for 77 ms.
    // Four probe intervals (150 ms at the default): with two, a healthy Redis starved of CPU on
    // a busy 2-core CI host once stayed silent past 100 ms and a burst lost its exact limit.
    silenceMs: timeoutMs + 4 * probe.intervalMs,
    probeIntervalMs: options.probeIntervalMs,
    onCallTimed: options.onCallTimed,
    onLateCalls: (count, reason) =>
      options.onRedisLate?.(`Redis late (${reason}): ${count} detection calls answered in-process`),
  });
  hearDataConnection(client, () => resilient.onRedisAnswer());
  return {
    store: resilient,
    // Not connected (never yet, or reconnecting) is degraded even before any call fails over.
    status: () => (client.status === 'ready' ? resilient.status() : 'degraded'),
    fleetSize: () => fleet.size(),
    ready: async (timeoutMs) => {
      await Promise.all([
        waitForRedisReady(client, timeoutMs),
        waitForRedisReady(probeClient, timeoutMs),
      ]);
      await fleet.beat();
    },
    close: async () => {
      probe.stop();
      resilient.close();
      await fleet.stop();
      // QUIT lets replies still in flight (e.g. the block index update) arrive first.
      await Promise.all([client, probeClient].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * Every chunk Redis sends on the data connection is a sign of life. Calls on an auto-pipeline
 * resolve only when the pipeline's last reply has arrived, so under a burst the answers come
 * in batches while Redis answers all along; silence must be judged on the bytes (per connection:
 * each reconnect has a new socket). Redis Cluster clients are judged on answers and pings.
 */
function hearDataConnection(client: RedisClient, onBytes: () => void): void {
  if (!(client instanceof Redis)) return;
  client.on('connect', () => client.stream.on('data', onBytes));
}

/** The health probe and the fleet heartbeat, on a Redis connection of their own. */
interface HealthWatch {
  readonly probeClient: RedisClient;
  readonly fleet: FleetHeartbeat;
  readonly probe: RedisHealthProbe;
}

// Its own connection, written at once (no auto-pipelining): a PING never queues behind our own
// burst. Both start once connected: a ping refused while still connecting would read as an outage.
function watchRedisHealth(
  url: string,
  options: DetectionStoreOptions,
  listeners: Pick<RedisHealthProbeOptions, 'onVerdict' | 'onAnswer'>,
): HealthWatch {
  const cluster = options.redisCluster === true;
  const probeClient = createRedisClient(url, { cluster, autoPipelining: false });
  const fleet = new FleetHeartbeat(probeClient, {
    keyPrefix: options.keyPrefix,
    clock: options.clock,
    intervalMs: options.heartbeatIntervalMs,
  });
  const probe = new RedisHealthProbe({
    ping: () => pingRedis(probeClient),
    timeoutMs: options.timeoutMs ?? 50,
    downIntervalMs: options.probeIntervalMs,
    ...listeners,
  });
  probeClient.once('ready', () => {
    probe.start();
    fleet.start();
  });
  return { probeClient, fleet, probe };
}
