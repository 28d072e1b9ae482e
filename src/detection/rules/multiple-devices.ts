import type { WindowRulePolicy } from '../policy.ts';
import type { RuleEvent, RuleRunMode } from './verdict.ts';

/** multiple_devices: a new device making `limit` or more distinct devices in the window → medium. */
export function evaluateMultipleDevices(
  counters: { readonly distinctDevices: number; readonly isNewDevice: boolean },
  rule: WindowRulePolicy,
  mode: RuleRunMode,
): RuleEvent | null {
  if (!counters.isNewDevice || counters.distinctDevices < rule.limit) return null;
  return {
    type: 'multiple_devices',
    severity: 'medium',
    details: {
      distinctDevices: counters.distinctDevices,
      limit: rule.limit,
      windowMs: rule.windowMs,
      mode,
    },
  };
}
