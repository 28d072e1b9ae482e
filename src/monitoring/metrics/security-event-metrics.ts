import { Counter, type Registry } from 'prom-client';
import {
  isSecurityEventType,
  isSeverity,
  type SecurityEvent,
  type SecurityEventBus,
} from '../../events/index.ts';

interface CounterChild {
  inc(value?: number): void;
}

/** Label values come from events at run time: anything unexpected is one `other` series. */
const LABEL_VALUE = /^[a-z][a-z0-9_]{0,47}$/;

function labelOf(value: unknown, fallback: string): string {
  return typeof value === 'string' && LABEL_VALUE.test(value) ? value : fallback;
}

/**
 * Security events as metrics, read from the bus: every event by `type` and `severity`, and
 * the detector's decisions by `rule` and `action` (`details.action`: block, throttle, none…;
 * `record` for events that carry none). Works with any event shape that has those fields.
 * Repeats are rolled up by the detector before they reach the bus (a blocked IP's
 * `blocked_request` at most once a second), so the exact count of refusals is the 429s of
 * `flux_auth_http_requests_total`.
 */
export class SecurityEventMetrics {
  readonly #events: Counter<'type' | 'severity'>;
  readonly #decisions: Counter<'rule' | 'action'>;
  readonly #children = new Map<string, CounterChild>();

  /** Registers the counters on `registry`. */
  constructor(registry: Registry) {
    this.#events = new Counter({
      name: 'flux_auth_security_events_total',
      help: 'Security events published, by type and severity.',
      labelNames: ['type', 'severity'],
      registers: [registry],
    });
    this.#decisions = new Counter({
      name: 'flux_auth_detector_decisions_total',
      help: 'Detector decisions other than a plain allow, by rule and action (block, throttle, throttle_started, none = monitor only, record = event only).',
      labelNames: ['rule', 'action'],
      registers: [registry],
    });
  }

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach(bus: SecurityEventBus): () => void {
    return bus.subscribe((event) => this.count(event));
  }

  /** Counts one event. */
  count(event: SecurityEvent): void {
    // Types and severities come from the one table: anything else is one `other` series.
    const type = isSecurityEventType(event.type) ? event.type : 'other';
    const severity = isSeverity(event.severity) ? event.severity : 'other';
    const details = event.details as Readonly<Record<string, unknown>> | undefined;
    // A rolled-up row stands for `count` occurrences (every refused request is counted).
    const count = typeof details?.count === 'number' && details.count > 0 ? details.count : 1;
    this.#child('e', type, severity).inc(count);
    const rule = labelOf(event.rule ?? event.type, 'other');
    this.#child('d', rule, labelOf(details?.action, 'record')).inc(count);
  }

  #child(kind: 'e' | 'd', a: string, b: string): CounterChild {
    const key = `${kind}|${a}|${b}`;
    let child = this.#children.get(key);
    if (child === undefined) {
      child = kind === 'e' ? this.#events.labels(a, b) : this.#decisions.labels(a, b);
      this.#children.set(key, child);
    }
    return child;
  }
}
