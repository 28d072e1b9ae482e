import type { Severity } from './severity.ts';

/** What the table says about one event type. */
export interface EventTypeInfo {
  /** Severity of the type's main event; a rule may report a milder variant (e.g. monitor only). */
  readonly severity: Severity;
  /** One line for operators: README, dashboard, alerts. */
  readonly description: string;
}

/**
 * The one table of security event types. Everything that names an event type (emitters, the
 * audit log, Sentry tags, metric labels, alerts, README) reads it; a test keeps the README's
 * list in agreement with it.
 */
export const EVENT_TYPES = {
  brute_force: {
    severity: 'high',
    description: 'Failed logins from one IP reached the limit: the IP is blocked',
  },
  bot_activity: {
    severity: 'high',
    description: 'Signup and login requests from one IP reached the rate limit: the IP is blocked',
  },
  account_guard: {
    severity: 'high',
    description: 'Failures on one account from many IPs: the account is throttled for unknown IPs',
  },
  suspicious_user_agent: {
    severity: 'low',
    description: 'A scanner, scripted client, headless browser or empty User-Agent',
  },
  multiple_devices: {
    severity: 'medium',
    description: 'Several distinct devices logged into one account within the window',
  },
  rapid_token_refresh: {
    severity: 'high',
    description: 'One user refreshed tokens more often than the limit allows',
  },
  account_new_ip: {
    severity: 'low',
    description: "A successful login from another IP than the account's previous one",
  },
  account_new_country: {
    severity: 'high',
    description: "A successful login from another country than the account's previous one",
  },
  impossible_travel: {
    severity: 'high',
    description:
      'Two successful logins of one account too far apart for the time between them (over maxSpeedKmh after accuracy radii)',
  },
  blocked_request: {
    severity: 'low',
    description: 'A request from an IP under an active block was refused (rolled up per second)',
  },
  ip_denylisted: {
    severity: 'medium',
    description: 'A request from a denylisted range was refused',
  },
  refresh_token_reuse: {
    severity: 'high',
    description: 'An already rotated refresh token was presented: its whole family is revoked',
  },
  detection_store_degraded: {
    severity: 'high',
    description: 'Redis is slow or down: detection runs on the in-process store',
  },
  detection_store_recovered: {
    severity: 'info',
    description: 'Redis answers again: detection is back on the shared store',
  },
  ip_blocked_manually: {
    severity: 'medium',
    description: 'An admin (API) or operator (CLI) blocked an IP',
  },
  ip_unblocked_manually: {
    severity: 'medium',
    description: 'An admin (API) or operator (CLI) lifted a block',
  },
  admin_role_granted: {
    severity: 'high',
    description: 'An operator gave an account the admin role',
  },
  admin_role_revoked: {
    severity: 'high',
    description: 'An operator took the admin role away from an account',
  },
  user_deleted: {
    severity: 'medium',
    description: 'An admin deleted an account and revoked its sessions',
  },
  alert_delivery_failed: {
    severity: 'high',
    description:
      'An alert could not be delivered to a channel after every retry (never alerted on)',
  },
} as const satisfies Readonly<Record<string, EventTypeInfo>>;

/** Name of a security event type (a key of `EVENT_TYPES`). */
export type SecurityEventType = keyof typeof EVENT_TYPES;

/** Every event type, in table order. */
export const SECURITY_EVENT_TYPES: readonly SecurityEventType[] = Object.freeze(
  Object.keys(EVENT_TYPES) as SecurityEventType[],
);

/** True when `name` is a known event type (e.g. a query filter). */
export function isSecurityEventType(name: string): name is SecurityEventType {
  return Object.hasOwn(EVENT_TYPES, name);
}

/** The table's default severity of `type`. */
export function defaultSeverity(type: SecurityEventType): Severity {
  return EVENT_TYPES[type].severity;
}
