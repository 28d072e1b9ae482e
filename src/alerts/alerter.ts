import type { SecurityEventBus } from '../events/event-bus.ts';
import type { SecurityEvent } from '../events/security-event.ts';
import { isAtLeast, SEVERITIES, type Severity } from '../events/severity.ts';
import type { AlertChannel, ChannelName } from './alert-channel.ts';
import {
  type AlertMessage,
  digestMessage,
  firstAlertMessage,
  testAlertMessage,
} from './alert-message.ts';
import { NEVER_ALERTED, sampleOf } from './alert-sample.ts';
import type { AlertWindowStore, WindowState, WindowSummary } from './alert-window.ts';
import type { DeliveryQueue, DeliveryResult } from './delivery-queue.ts';
import type { MemoryAlertWindowStore } from './memory-alert-window-store.ts';

/** What the alerter is built from. Times are epoch ms. */
export interface AlerterOptions {
  readonly channels: readonly AlertChannel[];
  /** Shared windows (Redis), or the same object as `local` without Redis. */
  readonly windows: AlertWindowStore;
  /** This process's windows: used alone without Redis, and whenever Redis fails. */
  readonly local: MemoryAlertWindowStore;
  /** True when `windows` is `local` (no shared store): open windows are flushed at shutdown. */
  readonly isLocalOnly: boolean;
  readonly queue: DeliveryQueue;
  readonly windowSeconds: number;
  readonly dashboardUrl: string | null;
  readonly clock: () => number;
  /** How often due digests are looked for (ms). */
  readonly tickIntervalMs: number;
  /** A store or send problem to log; never thrown to a request. */
  readonly onError: (error: unknown, operation: string) => void;
}

/** One channel's outcome of a test message. */
export interface TestOutcome {
  readonly channel: ChannelName;
  readonly outcome: DeliveryResult['outcome'];
  readonly attempts: number;
  readonly errorClass: string | null;
}

/**
 * Turns security events into alerts: the first event of a rule goes out at once, the rest of
 * its window is summed up into one digest at the window's end. Listens on the bus (never
 * delaying a request) and polls for due digests; delivery is the queue's.
 */
export class Alerter {
  readonly #options: AlerterOptions;
  readonly #threshold: Severity;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  constructor(options: AlerterOptions) {
    this.#options = options;
    // The lowest of the channels' thresholds: below it no channel would send anything.
    this.#threshold =
      SEVERITIES.find((s) => options.channels.some((c) => c.minSeverity === s)) ?? 'critical';
  }

  /** Subscribes to `bus` and starts looking for due digests; returns the unsubscribe. */
  start(bus: SecurityEventBus): () => void {
    const unsubscribe = bus.subscribe((event) => this.handle(event));
    this.#timer = setInterval(() => void this.tick(), this.#options.tickIntervalMs);
    this.#timer.unref();
    return unsubscribe;
  }

  /** Counts `event` into its rule's window; sends the first alert when it opened one. */
  async handle(event: SecurityEvent): Promise<void> {
    if (NEVER_ALERTED.has(event.type) || !isAtLeast(event.severity, this.#threshold)) return;
    const sample = sampleOf(event);
    const { clock, windowSeconds, dashboardUrl } = this.#options;
    const now = clock();
    const isFirst = await this.#withFallback('alert window add', (store) =>
      store.add(event.type, sample, now, windowSeconds * 1000),
    );
    if (isFirst) this.#send(firstAlertMessage(event.type, sample, dashboardUrl));
  }

  /** Sends the digests of every window that has ended (this instance's share of them). */
  tick(): Promise<void> {
    // One tick at a time: a slow Redis must not pile up claims.
    this.#ticking ??= this.#claimDue().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  /** Sends a test message to every channel, whatever its threshold; resolves per channel. */
  async sendTest(): Promise<TestOutcome[]> {
    const message = testAlertMessage(this.#options.clock(), this.#options.dashboardUrl);
    const results = await Promise.all(
      this.#options.channels.map((channel) => this.#options.queue.deliver(channel, message)),
    );
    return results.map(({ channel, outcome, attempts, errorClass }) => ({
      channel,
      outcome,
      attempts,
      errorClass,
    }));
  }

  /** Every rule's window (shared ones with Redis), for `GET /api/admin/alerts`. */
  async state(): Promise<WindowState[]> {
    const now = this.#options.clock();
    const states = await this.#withFallback('alert window snapshot', (store) =>
      store.snapshot(now),
    );
    return states.sort((a, b) => a.rule.localeCompare(b.rule));
  }

  /**
   * Stops polling; without a shared store, sends what the open windows hold; then flushes the
   * queue for up to `flushMs` (the rest is dropped). With Redis, open windows stay there for
   * another instance (or the next start) to send.
   */
  async close(flushMs: number): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#ticking;
    for (const summary of this.#options.local.takeAll()) {
      this.#send(digestMessage(summary, this.#options.dashboardUrl));
    }
    await this.#options.queue.close(flushMs);
  }

  async #claimDue(): Promise<void> {
    const { clock, windowSeconds, dashboardUrl, local, windows, isLocalOnly } = this.#options;
    const now = clock();
    const windowMs = windowSeconds * 1000;
    const due = await windows.claimDue(now, windowMs).catch((error: unknown) => {
      this.#options.onError(error, 'alert digest claim');
      return [] as WindowSummary[];
    });
    // Windows opened locally while Redis was failing are sent from here.
    if (!isLocalOnly) due.push(...(await local.claimDue(now, windowMs)));
    for (const summary of due) this.#send(digestMessage(summary, dashboardUrl));
  }

  #send(message: AlertMessage): void {
    for (const channel of this.#options.channels) {
      if (!isAtLeast(message.severity, channel.minSeverity)) continue;
      void this.#options.queue.deliver(channel, message);
    }
  }

  async #withFallback<T>(
    operation: string,
    call: (store: AlertWindowStore) => Promise<T>,
  ): Promise<T> {
    if (this.#options.isLocalOnly) return call(this.#options.local);
    try {
      return await call(this.#options.windows);
    } catch (error) {
      // Redis down: alert per instance rather than not at all.
      this.#options.onError(error, operation);
      return call(this.#options.local);
    }
  }
}
