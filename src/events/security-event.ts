/** Severity ladder, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is at or above `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/**
 * Every security decision that is not a plain allow. `details` carries the counter
 * values and thresholds that led to it, never a password, token or secret.
 */
export interface SecurityEvent {
  readonly type: string;
  readonly severity: Severity;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly ip: string | null;
  readonly userId: string | null;
  /** Sanitised and length-capped by the emitter (see `sanitizeUserAgent`). */
  readonly userAgent: string | null;
  readonly rule: string | null;
  readonly requestId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}
