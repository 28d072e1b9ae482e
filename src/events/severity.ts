/** Severity ladder, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** One step of the severity ladder. */
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is at or above `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** True when `name` is a severity (e.g. from configuration or a query). */
export function isSeverity(name: string): name is Severity {
  return (SEVERITIES as readonly string[]).includes(name);
}
