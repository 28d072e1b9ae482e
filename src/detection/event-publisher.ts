import {
  EVENT_TYPES,
  type RuleEventType,
  type SecurityEventBus,
  type SecurityEventDetails,
  type SecurityEventOf,
} from '../events/index.ts';
import type { BlockRecord } from '../store/index.ts';
import type { Attempt } from './attempt.ts';
import { EventRollup } from './event-rollup.ts';
import { sanitizeUserAgent } from './rules/suspicious-user-agent.ts';
import type { RuleEvent, RuleEventOf } from './rules/verdict.ts';

/** A held-back repeat: enough of the attempt to publish it later (not the request itself). */
interface HeldEvent {
  readonly attempt: Attempt;
  readonly ipKey: string;
  readonly event: RuleEvent;
  readonly userId: string | null;
}

/** Event types that repeat during a flood are published at most once per IP per second. */
export const REPEAT_INTERVAL_MS = 1000;

/**
 * Turns the events rules ask for into security events on the bus: adds time, IP, user, user
 * agent and request id, and rolls up repeats (throttles, monitor-only, refusals of a blocked
 * IP) into one event per interval that carries their count.
 */
export class EventPublisher {
  readonly #bus: SecurityEventBus;
  readonly #rollup = new EventRollup<HeldEvent>((held, count) => {
    const event = { ...held.event, details: { ...held.event.details, count } };
    this.publish(held.attempt, held.ipKey, event, held.userId);
  });

  readonly #onPublished: (ipKey: string, event: RuleEvent, now: number) => void;

  /** `onPublished` hears every event published (not the held repeats), e.g. to score the IP. */
  constructor(
    bus: SecurityEventBus,
    onPublished: (ipKey: string, event: RuleEvent, now: number) => void = () => {},
  ) {
    this.#bus = bus;
    this.#onPublished = onPublished;
  }

  /** Publishes each event; repeating kinds (throttle, monitor-only) are rolled up per IP and type. */
  publishAll(
    attempt: Attempt,
    ipKey: string,
    events: readonly RuleEvent[],
    userId: string | null,
  ): void {
    for (const event of events) {
      const action = 'action' in event.details ? event.details.action : undefined;
      const isRepeating = action === 'none' || action === 'throttle';
      if (isRepeating) {
        const key = `${event.type}:${String(action)}:${ipKey}`;
        this.hold(key, REPEAT_INTERVAL_MS, attempt, ipKey, event, userId);
      } else {
        this.publish(attempt, ipKey, event, userId);
      }
    }
  }

  /** Every refused request is counted in one `blocked_request` row (at most one per second). */
  countBlocked(attempt: Attempt, ipKey: string, block: BlockRecord): void {
    const details = { blockRule: block.rule, expiresAt: block.expiresAt, manual: block.manual };
    const severity = EVENT_TYPES.blocked_request.severity;
    const event: RuleEvent = { type: 'blocked_request', severity, details };
    this.hold(`blocked:${ipKey}`, REPEAT_INTERVAL_MS, attempt, ipKey, event, null);
  }

  /** Holds an event back: the first of a key opens an interval, repeats only count. */
  hold(
    key: string,
    intervalMs: number,
    attempt: Attempt,
    ipKey: string,
    event: RuleEvent,
    userId: string | null,
  ): void {
    // A copy without the request-bound parts: a held event may wait a second or more.
    const { ip, userAgent, route, requestId, now } = attempt;
    const slim = { ip, userAgent, route, requestId, now, userId: attempt.userId };
    this.#rollup.add(key, now, intervalMs, { attempt: slim, ipKey, event, userId });
  }

  /** Publishes held repeats whose interval has passed (all of them with `all`). */
  flush(now: number, options: { readonly all?: boolean }): void {
    this.#rollup.flush(now, options);
  }

  publish<T extends RuleEventType>(
    attempt: Attempt,
    ipKey: string,
    event: RuleEventOf<T>,
    userId: string | null,
  ): void {
    const published: SecurityEventOf<T> = {
      type: event.type,
      severity: event.severity,
      at: attempt.now,
      ip: attempt.ip,
      userId: userId ?? attempt.userId ?? null,
      userAgent: sanitizeUserAgent(attempt.userAgent),
      rule: event.type,
      requestId: attempt.requestId,
      // RuleEventDetails[T] plus the context is SecurityEventDetails[T] for every T; TypeScript
      // cannot follow an indexed access through a generic T.
      details: { ...event.details, ipKey, route: attempt.route } as SecurityEventDetails[T],
    };
    this.#bus.publish(published);
    this.#onPublished(ipKey, event as RuleEvent, attempt.now);
  }
}
