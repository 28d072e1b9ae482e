import type { Logger } from 'pino';
import { createEmbeddedBlocks } from '../blocks/index.ts';
import type { Config } from '../config/index.ts';
import type { DatabaseHandle } from '../db/index.ts';
import {
  createDetectionStore,
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type DetectionStore,
  type Detector,
  loadPolicyFile,
  SeedLists,
  watchPolicy,
} from '../detection/index.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { SecurityEventBus } from '../events/index.ts';
import { type GeoLocator, GeoLookup } from '../geo/index.ts';
import type { DependencyState } from '../http/ports.ts';
import type { ServiceOverrides } from '../main.ts';
import type { ServiceMetrics, StoreMode } from '../monitoring/metrics/index.ts';

/** How often events held back by the detector's roll-up are published (ms). */
const EVENT_FLUSH_INTERVAL_MS = 1000;

/** How long startup waits for the first Redis connection before running degraded (ms). */
const REDIS_CONNECT_WAIT_MS = 2000;

/** The detector and what the rest of the service asks of detection (part of `createServices`). */
export interface Detection {
  readonly detector: Detector;
  /** The current policy's IPv6 grouping (a reloaded policy applies at once). */
  ipv6PrefixLength(): number;
  status(): DependencyState;
  mode(): StoreMode;
  policy(): { policy: DetectionPolicy; source: string };
  /** GeoIP lookup (account_takeover, the IP view); null when turned off. */
  readonly locate: GeoLocator | null;
  close(): Promise<void>;
}

// Builds the detector over Redis (with its memory fallback) or the in-process store (blocks
// kept in the database), with the policy file loaded and watched. Throws PolicyFileError when
// the policy file is invalid, or the database error when the blocks cannot be loaded.
export async function createDetection(
  config: Config,
  logger: Logger,
  bus: SecurityEventBus,
  database: DatabaseHandle,
  overrides: ServiceOverrides,
  metrics: ServiceMetrics | null,
): Promise<Detection> {
  let policy =
    overrides.policy ??
    (config.policyFile ? await loadPolicyFile(config.policyFile) : DEFAULT_POLICY);
  const stopWatching = config.policyFile
    ? watchPolicy(
        config.policyFile,
        (next) => {
          policy = next;
          logger.info({ policyFile: config.policyFile }, 'detection policy reloaded');
        },
        (error) =>
          logger.error(`detection policy not reloaded, keeping the old one: ${error.message}`),
      )
    : () => {};
  const embedded =
    config.redisUrl === null
      ? createEmbeddedBlocks({
          db: database.db,
          clock: overrides.clock ?? Date.now,
          onError: (error) => {
            // An outage is logged once by the database itself; the sync catches up after it.
            if (error instanceof ServiceUnavailableError) return;
            logger.error({ err: error }, 'blocks: database write or poll failed');
          },
        })
      : null;
  const store: DetectionStore = embedded
    ? {
        store: embedded.store,
        status: () => 'ok',
        fleetSize: () => 1,
        ready: async () => {},
        close: async () => {},
      }
    : createDetectionStore({
        redisUrl: config.redisUrl ?? undefined,
        redisCluster: config.redisCluster,
        timeoutMs: config.redisTimeoutMs,
        keyPrefix: overrides.redisKeyPrefix,
        probeIntervalMs: overrides.redisProbeIntervalMs,
        onRedisError: (error) => logger.warn({ err: error }, 'Redis connection error'),
        onRedisLate: (message) => logger.warn(message),
        bus,
        clock: overrides.clock,
        onCallTimed: metrics?.observeStoreCall,
      });
  // Without this wait the first requests after boot would race the connection and fall back.
  await store.ready(REDIS_CONNECT_WAIT_MS).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'Redis is not reachable at startup; detection runs in-process until it is',
    );
  });
  const seedLists = createSeedLists(config.reputationLists, logger);
  // GeoIP for account_takeover: opened once (bundled country data, GEOIP_CITY_DB if set).
  const locate =
    overrides.geoLocator !== undefined
      ? overrides.geoLocator
      : (await GeoLookup.open({ cityDbPath: config.geoipCityDb })).locate;
  const detector = createDetector({
    store: store.store,
    seedLists: seedLists ?? undefined,
    policy: () => policy,
    bus,
    clock: overrides.clock,
    ...(locate === null ? {} : { locate }),
  });
  // Blocks set by the CLI or another instance on this database arrive within ~500 ms.
  const sync = embedded?.createSync((ipKey) => detector.forgetCachedBlock(ipKey)) ?? null;
  await sync?.start();
  // Repeats held back by the detector's roll-up (blocked requests…) go out once a second.
  const flushTimer = setInterval(() => detector.flushEvents(), EVENT_FLUSH_INTERVAL_MS);
  flushTimer.unref();
  const isRedis = config.redisUrl !== null;
  return {
    detector,
    locate,
    ipv6PrefixLength: () => policy.ipv6PrefixLength,
    policy: () => ({
      policy,
      source: overrides.policy ? 'overridden at startup' : (config.policyFile ?? 'defaults'),
    }),
    status: (): DependencyState => {
      if (!isRedis) return { status: 'ok', detail: 'in-process store (REDIS_URL not set)' };
      const instances = store.fleetSize();
      return store.status() === 'ok'
        ? { status: 'ok', detail: 'redis', instances }
        : {
            status: 'degraded',
            detail: `redis unreachable or slow; using the in-process store with 1/${instances} of each limit`,
            instances,
          };
    },
    mode: () => (isRedis && store.status() === 'ok' ? 'redis' : 'memory'),
    close: async () => {
      stopWatching();
      seedLists?.close();
      await sync?.stop();
      clearInterval(flushTimer);
      detector.flushEvents({ all: true });
      await store.close();
    },
  };
}

/** The seed lists, watched for changes; a bad line is logged with its file and line number. */
function createSeedLists(paths: readonly string[], logger: Logger): SeedLists | null {
  if (paths.length === 0) return null;
  const lists = new SeedLists({
    paths,
    onProblem: (problem) => logger.warn(`reputation list: ${problem}`),
    onLoad: (entries, files) => logger.info({ entries, files }, 'reputation lists loaded'),
  });
  lists.watch();
  return lists;
}
