import * as Sentry from '@sentry/node';
import {
  EVENT_TYPES,
  isAtLeast,
  type SecurityEvent,
  type SecurityEventBus,
  type Severity,
} from '../events/index.ts';
import { EventRateLimiter } from './event-rate-limiter.ts';
import type { SentryCounters } from './sentry-stats.ts';

/** Messages per rule sent per window; further ones are counted and reported with the next. */
export const SECURITY_MESSAGES_PER_RULE = 5;
/** Messages over all rules sent per window. */
export const SECURITY_MESSAGES_TOTAL = 20;
/** The window of both limits (ms). */
export const SECURITY_MESSAGE_WINDOW_MS = 60_000;

/** What `forwardSecurityEvents` needs. */
export interface ForwardSecurityEventsOptions {
  readonly bus: SecurityEventBus;
  readonly minSeverity: Severity;
  readonly counters: SentryCounters;
  readonly clock?: () => number;
}

const LEVELS: Readonly<Record<Severity, Sentry.SeverityLevel>> = {
  info: 'info',
  low: 'info',
  medium: 'warning',
  high: 'error',
  critical: 'fatal',
};

/**
 * Sends security events at or above `minSeverity` to Sentry as messages tagged `rule`,
 * `severity` and `type`, fingerprinted per rule so that repeats group into one issue, and
 * rate-limited per rule so an attack cannot use up the project's quota. Returns the unsubscribe.
 */
export function forwardSecurityEvents(options: ForwardSecurityEventsOptions): () => void {
  const limiter = new EventRateLimiter({
    perKey: SECURITY_MESSAGES_PER_RULE,
    total: SECURITY_MESSAGES_TOTAL,
    windowMs: SECURITY_MESSAGE_WINDOW_MS,
    clock: options.clock,
  });
  return options.bus.subscribe((event) => {
    if (!isAtLeast(event.severity, options.minSeverity)) return;
    const rule = event.rule ?? event.type;
    const decision = limiter.take(rule);
    if (!decision.allowed) {
      options.counters.suppressed += 1;
      return;
    }
    captureSecurityEvent(event, rule, decision.suppressed);
  });
}

function captureSecurityEvent(event: SecurityEvent, rule: string, suppressed: number): void {
  Sentry.withScope((scope) => {
    scope.setTags({ rule, severity: event.severity, type: event.type });
    if (event.requestId !== null) scope.setTag('request_id', event.requestId);
    // One issue per rule: every brute-force block groups together, whatever the IP.
    scope.setFingerprint(['security-event', rule]);
    scope.setLevel(LEVELS[event.severity]);
    scope.setUser(event.userId === null ? null : { id: event.userId });
    scope.setContext('security_event', {
      at: new Date(event.at).toISOString(),
      ip: event.ip,
      userAgent: event.userAgent,
      ...event.details,
      suppressedSinceLast: suppressed,
    });
    Sentry.captureMessage(`${event.type}: ${EVENT_TYPES[event.type].description}`);
  });
}
