import type { AuthRoute } from '../detection/attempt.ts';
import type { SecurityEventType } from './event-types.ts';
import type { Severity } from './severity.ts';

export { isAtLeast, isSeverity, SEVERITIES, type Severity } from './severity.ts';

/** How a rule ran: enforcing, in monitor mode, or for an allowlisted IP (never blocked). */
export type RuleRunMode = 'enforce' | 'monitor' | 'allowlisted';

/** What the detector adds to the details of every event it publishes. */
export interface DetectorEventContext {
  /** Client key the IP is counted under (IPv4, or IPv6 per /64). */
  readonly ipKey: string;
  readonly route: AuthRoute;
  /** How many occurrences a rolled-up row stands for (repeats, refusals); absent means one. */
  readonly count?: number;
}

/**
 * The details a detection rule reports per event type: counter values and thresholds that led
 * to the decision. Never a password, token or secret.
 */
export interface RuleEventDetails {
  readonly brute_force: {
    readonly failures: number;
    readonly pending: number;
    readonly limit: number;
    readonly windowMs: number;
    readonly blockSeconds: number;
    readonly mode: RuleRunMode;
    readonly action: 'block' | 'throttle' | 'none';
  };
  readonly bot_activity: {
    readonly requests: number;
    readonly limit: number;
    readonly windowMs: number;
    readonly blockSeconds: number;
    readonly mode: RuleRunMode;
    readonly action: 'block' | 'none';
  };
  readonly account_guard: {
    readonly failures: number;
    readonly distinctIps: number;
    /** Epoch ms. */
    readonly throttledUntil: number;
    readonly failureLimit: number;
    readonly distinctIpLimit: number;
    readonly windowMs: number;
    readonly throttleSeconds: number;
    readonly mode: RuleRunMode;
    readonly action: 'throttle' | 'throttle_started' | 'none';
  };
  readonly suspicious_user_agent: {
    readonly category: string;
    readonly mode: RuleRunMode;
  };
  readonly multiple_devices: {
    readonly distinctDevices: number;
    readonly limit: number;
    readonly windowMs: number;
    readonly mode: RuleRunMode;
  };
  readonly rapid_token_refresh: {
    readonly refreshes: number;
    readonly limit: number;
    readonly windowMs: number;
    readonly mode: RuleRunMode;
  };
  readonly account_new_ip: AccountTakeoverDetails;
  readonly account_new_country: AccountTakeoverDetails;
  readonly impossible_travel: AccountTakeoverDetails & {
    /** The distance less both accuracy radii: the least the user moved (km). */
    readonly minDistanceKm: number;
    /** km/h needed; null when both logins fell in the same millisecond. */
    readonly speedKmh: number | null;
    readonly maxSpeedKmh: number;
    /** True when policy asks to revoke the account's other sessions (enforce mode). */
    readonly revokeSessions: boolean;
  };
  readonly blocked_request: {
    /** Rule of the block in force. */
    readonly blockRule: string;
    /** Epoch ms. */
    readonly expiresAt: number;
    readonly manual: boolean;
  };
  readonly ip_denylisted: {
    readonly action: 'block';
  };
}

/** A place as a GeoIP database knows it (see `src/geo/geo-place.ts`). */
export interface EventPlace {
  readonly country: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly accuracyRadiusKm?: number;
}

/** What every account_takeover event carries: both logins' places, distance and time between. */
export interface AccountTakeoverDetails {
  readonly previousIp: string;
  /** Epoch ms. */
  readonly previousLoginAt: number;
  /** The previous login's place; null for a private, loopback or unknown address. */
  readonly from: EventPlace | null;
  /** This login's place; null for a private, loopback or unknown address. */
  readonly to: EventPlace | null;
  /** Between both coordinates (km); null without a city database knowing both. */
  readonly distanceKm: number | null;
  /** Time between the two logins (ms). */
  readonly elapsedMs: number;
  readonly mode: RuleRunMode;
}

/** Event types the detector publishes (with `DetectorEventContext` added to their details). */
export type RuleEventType = keyof RuleEventDetails;

/** The `details` of each event type. */
export type SecurityEventDetails = {
  readonly [T in RuleEventType]: RuleEventDetails[T] & DetectorEventContext;
} & {
  readonly refresh_token_reuse: { readonly familyId: string; readonly revokedTokens: number };
  readonly detection_store_degraded: {
    /** The error's message (a driver message, never a secret). */
    readonly error: string;
    readonly timeoutMs: number;
    readonly fallback: 'memory';
  };
  readonly detection_store_recovered: { readonly store: 'primary' };
  readonly ip_blocked_manually: OperatorDetails & {
    readonly reason: string;
    readonly durationSeconds: number;
  };
  readonly ip_unblocked_manually: OperatorDetails;
  readonly admin_role_granted: OperatorDetails & { readonly role: string };
  readonly admin_role_revoked: OperatorDetails & { readonly role: string };
  readonly user_deleted: OperatorDetails & { readonly revokedTokens: number };
  readonly alert_delivery_failed: {
    readonly channel: 'email' | 'webhook';
    readonly kind: 'first' | 'digest' | 'test';
    /** The rule the undelivered alert was about. */
    readonly alertRule: string;
    readonly attempts: number;
    /** Class of the last error (`timeout`, `connection`, `http_500`, …), never its text. */
    readonly errorClass: string;
  };
};

/** What every operator action's details carry: who did it. */
export interface OperatorDetails {
  /** The admin's user id, or `cli:<os user>`. */
  readonly actor: string;
}

/** One security event of type `T`. */
export interface SecurityEventOf<T extends SecurityEventType> {
  readonly type: T;
  readonly severity: Severity;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly ip: string | null;
  readonly userId: string | null;
  /** Sanitised and length-capped by the emitter (see `sanitizeUserAgent`). */
  readonly userAgent: string | null;
  /** The rule that decided (`brute_force`, `manual`, …), null when no rule did. */
  readonly rule: string | null;
  readonly requestId: string | null;
  readonly details: SecurityEventDetails[T];
}

/**
 * Every security decision that is not a plain allow: a union discriminated on `type`, so
 * `details` is typed per type. `details` never carries a password, token or secret.
 */
export type SecurityEvent = { [T in SecurityEventType]: SecurityEventOf<T> }[SecurityEventType];

// Compile-time check: the details map and the table list the same types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const detailsCoverTable: Same<keyof SecurityEventDetails, SecurityEventType> = true;
void detailsCoverTable;
