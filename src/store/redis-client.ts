import { Cluster, Redis } from 'ioredis';

/** A standalone or cluster ioredis client. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis. Short timeouts: no request may wait on a dead Redis. */
export interface RedisClientOptions {
  /** Treat the URL (comma-separated list allowed) as Redis Cluster seed nodes. */
  readonly cluster?: boolean;
  readonly connectTimeoutMs?: number;
  /** Called for connection errors (default: ignored; the resilient store reports outages). */
  readonly onError?: (error: Error) => void;
}

/**
 * Builds an ioredis client that fails fast: no offline queue, no per-request retries,
 * auto-pipelining on, reconnecting in the background forever. Never throws on 'error'.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  const client: RedisClient =
    options.cluster === true
      ? new Cluster(parseSeeds(url), {
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: common.retryStrategy,
          redisOptions: {
            maxRetriesPerRequest: 0,
            connectTimeout: common.connectTimeout,
          },
        })
      : new Redis(url, common);
  // An 'error' event without a listener would crash the process.
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

/** Resolves once the client is ready, rejects after `timeoutMs`. */
export function waitForRedisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

function parseSeeds(url: string): { host: string; port: number }[] {
  return url.split(',').map((part) => {
    const parsed = new URL(part.includes('://') ? part.trim() : `redis://${part.trim()}`);
    return { host: parsed.hostname, port: Number(parsed.port || '6379') };
  });
}
