import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import type { SecurityEventBus } from '../events/event-bus.ts';
import { createRedisClient, type RedisClient } from '../store/redis-client.ts';
import type { AlertChannel, ChannelName } from './alert-channel.ts';
import type { AlertConfig } from './alert-config.ts';
import { insertAlert } from './alert-store.ts';
import { Alerter } from './alerter.ts';
import {
  DEFAULT_DELIVERY_OPTIONS,
  type DeliveryOutcome,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryResult,
} from './delivery-queue.ts';
import { createEmailChannel } from './email-channel.ts';
import { MemoryAlertWindowStore } from './memory-alert-window-store.ts';
import { RedisAlertWindowStore } from './redis-alert-window-store.ts';
import { createWebhookChannel } from './webhook-channel.ts';

/** Queue timing a test may shorten (ms), on top of `DEFAULT_DELIVERY_OPTIONS`. */
export type DeliveryTuning = Partial<Omit<DeliveryQueueOptions, 'clock' | 'onResult'>>;

/** What alerting is built from. */
export interface AlertingDeps {
  readonly config: AlertConfig;
  readonly db: Kysely<Database>;
  readonly bus: SecurityEventBus;
  /** Shared windows when set (`REDIS_URL`); per instance otherwise. */
  readonly redis: {
    readonly url: string;
    readonly cluster: boolean;
    readonly keyPrefix?: string;
  } | null;
  readonly clock?: () => number;
  readonly delivery?: DeliveryTuning;
  /** How often due digests are looked for (ms); default 1000. */
  readonly tickIntervalMs?: number;
  /** Counts each final outcome (`flux_auth_alert_deliveries_total`). */
  readonly countDelivery?: (channel: ChannelName, outcome: DeliveryOutcome) => void;
  /** Store and channel problems go to `warn`, each final outcome to `info` (no secrets). */
  readonly logger: Pick<Logger, 'warn' | 'info'>;
}

/** Running alerting of one instance. */
export interface Alerting {
  readonly alerter: Alerter;
  readonly channels: readonly ChannelName[];
  /** Flushes the queue for up to `flushMs`, writes the last rows, releases connections. */
  close(flushMs: number): Promise<void>;
}

/** Builds the configured channels (empty when none is set). */
export function createChannels(config: AlertConfig, clock: () => number): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (config.email !== null) channels.push(createEmailChannel(config.email));
  if (config.webhook !== null) channels.push(createWebhookChannel(config.webhook, clock));
  return channels;
}

/**
 * Wires channels, windows (Redis or in-process), queue and alerter to the bus; null when no
 * channel is configured. Final outcomes are stored, counted, and a failure is published as
 * one `alert_delivery_failed` event (which is never alerted on).
 */
export function createAlerting(deps: AlertingDeps): Alerting | null {
  const clock = deps.clock ?? Date.now;
  const { logger } = deps;
  const onError = (error: unknown, operation: string) =>
    logger.warn({ err: error, operation }, 'alerting problem');
  const channels = createChannels(deps.config, clock);
  if (channels.length === 0) return null;
  const writes = new Set<Promise<void>>();
  const onResult = (result: DeliveryResult) => {
    deps.countDelivery?.(result.channel, result.outcome);
    const { channel, outcome, attempts, errorClass, message } = result;
    logger.info(
      { channel, outcome, attempts, errorClass, kind: message.kind, rule: message.rule },
      'alert delivery finished',
    );
    const write = insertAlert(deps.db, result, clock())
      .catch((error: unknown) => onError(error, 'alert row write'))
      .finally(() => writes.delete(write));
    writes.add(write);
    if (result.outcome === 'failed') publishFailure(deps.bus, result, clock());
  };
  const queue = new DeliveryQueue({
    ...DEFAULT_DELIVERY_OPTIONS,
    random: Math.random,
    ...deps.delivery,
    clock,
    onResult,
  });
  const local = new MemoryAlertWindowStore();
  let client: RedisClient | null = null;
  if (deps.redis !== null) {
    client = createRedisClient(deps.redis.url, {
      cluster: deps.redis.cluster,
      onError: (error) => onError(error, 'alert Redis connection'),
    });
  }
  const alerter = new Alerter({
    channels,
    windows:
      client === null
        ? local
        : new RedisAlertWindowStore(client, { keyPrefix: deps.redis?.keyPrefix }),
    local,
    isLocalOnly: client === null,
    queue,
    windowSeconds: deps.config.windowSeconds,
    dashboardUrl: deps.config.publicUrl === null ? null : `${deps.config.publicUrl}/admin`,
    clock,
    tickIntervalMs: deps.tickIntervalMs ?? 1000,
    onError,
  });
  const unsubscribe = alerter.start(deps.bus);
  return {
    alerter,
    channels: channels.map((channel) => channel.name),
    close: async (flushMs) => {
      unsubscribe();
      await alerter.close(flushMs);
      await Promise.all(writes);
      for (const channel of channels) channel.close();
      client?.disconnect();
    },
  };
}

function publishFailure(bus: SecurityEventBus, result: DeliveryResult, at: number): void {
  bus.publish({
    type: 'alert_delivery_failed',
    severity: 'high',
    at,
    ip: null,
    userId: null,
    userAgent: null,
    rule: null,
    requestId: null,
    details: {
      channel: result.channel,
      kind: result.message.kind,
      alertRule: result.message.rule,
      attempts: result.attempts,
      errorClass: result.errorClass ?? 'error',
    },
  });
}
