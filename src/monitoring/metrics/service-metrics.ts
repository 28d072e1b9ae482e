import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreCallObserver, StoreCallOutcome } from '../../detection/index.ts';
import type { SecurityEventBus } from '../../events/index.ts';
import { createAlertDeliveryCounter } from './alert-metrics.ts';
import { HttpMetrics } from './http-metrics.ts';
import { SecurityEventMetrics } from './security-event-metrics.ts';
import { NO_SENTRY_STATS, type SentryStats } from './sentry-stats.ts';

/** Which detection store counts right now. */
export type StoreMode = 'redis' | 'memory';

/** What the scrape-time metrics read; each is asked only when Prometheus scrapes. */
export interface MetricSources {
  /** Active IP blocks (fleet-wide with Redis). */
  readonly activeBlocks: () => Promise<number>;
  readonly storeMode: () => StoreMode;
  readonly audit: { readonly writtenCount: number; readonly droppedCount: number };
  readonly hashQueue: { readonly queued: number; readonly inFlight: number };
  readonly sentry?: SentryStats;
}

// 0.25: above the default REDIS_TIMEOUT_MS + four probe intervals (150 ms: a call released on a
// silent Redis);
// 0.3: that timeout + 250 ms, the line no call should cross even on a busy host.
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5];
const HASH_WAIT_BUCKETS = [0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const STORE_MODES: readonly StoreMode[] = ['redis', 'memory'];

/**
 * The Prometheus metrics of one service instance, on a registry of its own (never the
 * process-wide default, so instances and tests do not share counters). Per-call observers
 * (`http`, `observeStoreCall`, `observeHashWait`) are handed to the services as they are
 * built; everything else is read from `watch`'s sources when scraped.
 */
export class ServiceMetrics {
  /** This instance's registry: what `/metrics` serves. */
  readonly registry = new Registry();
  /** HTTP requests, latency and login outcomes. */
  readonly http: HttpMetrics;
  /** Security events and detector decisions (see `attach`). */
  readonly events: SecurityEventMetrics;
  /** Times each Redis call of the detection store (for `ResilientCounterStore`). */
  readonly observeStoreCall: StoreCallObserver;
  /** Times each password hash's wait for a slot, in ms (for `HashQueue`). */
  readonly observeHashWait: (waitMs: number) => void;
  /** Counts one alert message's final outcome on a channel (`flux_auth_alert_deliveries_total`). */
  readonly countAlertDelivery: ReturnType<typeof createAlertDeliveryCounter>;

  /** Creates the registry with the default process metrics and the per-call metrics. */
  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.http = new HttpMetrics(this.registry);
    this.events = new SecurityEventMetrics(this.registry);
    const storeCalls = new Histogram({
      name: 'flux_auth_detection_store_call_duration_seconds',
      help: 'Detection store (Redis) call latency in seconds, by outcome: ok, error, timeout (answered from memory: Redis silent or down, or the hard limit).',
      labelNames: ['outcome'],
      buckets: STORE_BUCKETS,
      registers: [this.registry],
    });
    const byOutcome: Record<StoreCallOutcome, { observe(value: number): void }> = {
      ok: storeCalls.labels('ok'),
      error: storeCalls.labels('error'),
      timeout: storeCalls.labels('timeout'),
    };
    this.observeStoreCall = (seconds, outcome) => byOutcome[outcome].observe(seconds);
    const hashWait = new Histogram({
      name: 'flux_auth_hash_queue_wait_seconds',
      help: 'How long each password hash waited for a worker slot, in seconds (0 when one was free).',
      buckets: HASH_WAIT_BUCKETS,
      registers: [this.registry],
    });
    this.observeHashWait = (waitMs) => hashWait.observe(waitMs / 1000);
    this.countAlertDelivery = createAlertDeliveryCounter(this.registry);
  }

  /** Counts the bus's security events; returns the unsubscribe function. */
  attach(bus: SecurityEventBus): () => void {
    return this.events.attach(bus);
  }

  /** Registers the metrics read at scrape time from `sources`. Call once. */
  watch(sources: MetricSources): void {
    const registers = [this.registry];
    const sentry = sources.sentry ?? NO_SENTRY_STATS;
    new Gauge({
      name: 'flux_auth_active_blocks',
      help: 'IP blocks in force (shared by every instance on one Redis: aggregate with max, not sum).',
      registers,
      async collect() {
        try {
          this.set(await sources.activeBlocks());
        } catch {
          // Keep the last value: a scrape must not fail because the store did.
        }
      },
    });
    new Gauge({
      name: 'flux_auth_detection_store_mode',
      help: 'Detection store in use: 1 for the current mode (redis, or memory when REDIS_URL is unset or Redis is down or slow), 0 for the other.',
      labelNames: ['mode'],
      registers,
      collect() {
        const current = sources.storeMode();
        for (const mode of STORE_MODES) this.set({ mode }, mode === current ? 1 : 0);
      },
    });
    totalFrom(
      'flux_auth_audit_events_written_total',
      'Security events written to the audit log.',
      () => sources.audit.writtenCount,
      registers,
    );
    totalFrom(
      'flux_auth_audit_events_dropped_total',
      'Security events dropped before reaching the audit log (buffer full while the database was down, or after shutdown).',
      () => sources.audit.droppedCount,
      registers,
    );
    new Gauge({
      name: 'flux_auth_hash_queue_depth',
      help: 'Password hashes waiting for a worker slot.',
      registers,
      collect() {
        this.set(sources.hashQueue.queued);
      },
    });
    new Gauge({
      name: 'flux_auth_hash_in_flight',
      help: 'Password hashes running now.',
      registers,
      collect() {
        this.set(sources.hashQueue.inFlight);
      },
    });
    totalFrom(
      'flux_auth_sentry_events_sent_total',
      'Events delivered to Sentry.',
      () => sentry.sent,
      registers,
    );
    totalFrom(
      'flux_auth_sentry_events_dropped_total',
      'Events for Sentry dropped (queue full, rate limited, or transport failure).',
      () => sentry.dropped,
      registers,
    );
  }
}

/** A counter whose value is a running total kept elsewhere, read at each scrape. */
function totalFrom(name: string, help: string, read: () => number, registers: Registry[]): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
