import { Cluster, type ClusterOptions, Redis } from 'ioredis';

/** A standalone or cluster ioredis client. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis. Short timeouts: no request may wait on a dead Redis. */
export interface RedisClientOptions {
  /** Treat the URL (comma-separated list allowed) as Redis Cluster seed nodes. */
  readonly cluster?: boolean;
  readonly connectTimeoutMs?: number;
  /**
   * Batch commands issued in one tick into one write (default true). A health probe turns it
   * off so its PING is written the moment it is sent.
   */
  readonly autoPipelining?: boolean;
  /**
   * Called for connection errors (default: ignored; the resilient store reports outages).
   * Each distinct error is reported once per outage, not on every reconnect attempt.
   */
  readonly onError?: (error: Error) => void;
}

/** Credentials and TLS of a Redis URL, as ioredis connection options. */
export interface RedisAuthOptions {
  readonly username?: string;
  readonly password?: string;
  /** Present (`{}`) for `rediss://`. */
  readonly tls?: Record<string, never>;
}

/** What `new Cluster(seeds, { redisOptions })` needs from a Redis Cluster URL. */
export interface ClusterUrlOptions {
  readonly seeds: { host: string; port: number }[];
  /** Credentials and TLS applied to every node (seed and discovered). */
  readonly redisOptions: RedisAuthOptions;
}

// The last connection error of each client, named when `waitForRedisReady` gives up.
const lastErrors = new WeakMap<RedisClient, Error>();

/**
 * Builds an ioredis client that fails fast: no offline queue, no per-request retries,
 * auto-pipelining on, reconnecting in the background forever. Never throws on 'error'.
 * Honours `user:password@` and `rediss://` in the URL, for one node and for a cluster.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: options.autoPipelining ?? true,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  let client: RedisClient;
  if (options.cluster === true) {
    const { seeds, redisOptions } = clusterOptionsFromUrl(url);
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: common.enableAutoPipelining,
      clusterRetryStrategy: common.retryStrategy,
      redisOptions: {
        ...redisOptions,
        maxRetriesPerRequest: 0,
        connectTimeout: common.connectTimeout,
      },
    };
    client = new Cluster(seeds, clusterOptions);
  } else {
    // ioredis reads user, password and db from the URL; `tls` is made explicit so a
    // `REDISS://` spelling (which ioredis matches case-sensitively) still gets TLS.
    client = new Redis(url, { ...common, ...authOptionsFromUrl(url) });
  }
  const reported = new Set<string>();
  const report = (error: Error): void => {
    lastErrors.set(client, error);
    // A dead Redis errors on every reconnect attempt: report each distinct error once.
    if (reported.has(error.message) || reported.size >= 16) return;
    reported.add(error.message);
    options.onError?.(error);
  };
  client.on('ready', () => {
    reported.clear();
    lastErrors.delete(client);
  });
  // An 'error' event without a listener would crash the process.
  client.on('error', report);
  // A cluster reports per-node failures (refused, WRONGPASS, TLS) only as 'node error'.
  if (client instanceof Cluster) client.on('node error', report);
  return client;
}

/**
 * One PING to a standalone server. For a cluster: a PING to every connected master, and the
 * cluster's own view (`CLUSTER INFO`) must be `cluster_state:ok` with no more masters serving
 * slots than are connected here. A master that is gone (dropped from the client's pool, or not
 * yet marked failed by its peers) therefore fails the ping. Rejects on any error.
 */
export async function pingRedis(client: RedisClient): Promise<void> {
  if (!(client instanceof Cluster)) {
    await client.ping();
    return;
  }
  const masters = client.nodes('master');
  const first = masters[0];
  if (first === undefined) throw new Error('Redis Cluster has no master node connected');
  const [info] = await Promise.all([
    first.call('CLUSTER', 'INFO'),
    ...masters.map((node) => node.ping()),
  ]);
  const text = String(info);
  const state = /cluster_state:(\w+)/.exec(text)?.[1] ?? 'unknown';
  if (state !== 'ok') throw new Error(`Redis Cluster state is ${state}`);
  const size = Number(/cluster_size:(\d+)/.exec(text)?.[1] ?? '0');
  if (masters.length < size) {
    // ioredis drops a master that went away and does not look for it again by itself while
    // no command is routed to its slots (the detector sends none while degraded): ask it to.
    client.refreshSlotsCache();
    throw new Error(`Redis Cluster: ${masters.length} of ${size} masters connected`);
  }
}

/**
 * Resolves once the client is ready, rejects after `timeoutMs` with the last connection
 * error (e.g. WRONGPASS, ECONNREFUSED) in the message.
 */
export function waitForRedisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      const last = lastErrors.get(client);
      const cause = last === undefined ? '' : `: ${last.message}`;
      reject(new Error(`Redis not ready after ${timeoutMs} ms${cause}`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Credentials (percent-decoded) and TLS of one Redis URL. Pure. */
export function authOptionsFromUrl(url: string): RedisAuthOptions {
  const trimmed = url.trim();
  const parsed = new URL(trimmed.includes('://') ? trimmed : `redis://${trimmed}`);
  const options: { username?: string; password?: string; tls?: Record<string, never> } = {};
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol.toLowerCase() === 'rediss:') options.tls = {};
  return options;
}

/**
 * Seeds, credentials and TLS of a Redis Cluster URL (`rediss://user:pw@a:6379,b:6380`).
 * Seeds without their own scheme or credentials take those of the first seed. Pure.
 */
export function clusterOptionsFromUrl(url: string): ClusterUrlOptions {
  const parts = url
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw new Error('Redis Cluster URL has no seed nodes');
  const seeds = parts.map((part) => {
    const parsed = new URL(part.includes('://') ? part : `redis://${part}`);
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || '6379') };
  });
  return { seeds, redisOptions: authOptionsFromUrl(parts[0] as string) };
}
