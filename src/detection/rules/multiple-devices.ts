import { EVENT_TYPES } from '../../events/index.ts';
import type { WindowRulePolicy } from '../policy.ts';
import type { RuleEventOf, RuleRunMode } from './verdict.ts';

/** multiple_devices: a new device making `limit` or more distinct devices in the window → medium. */
export function evaluateMultipleDevices(
  counters: { readonly distinctDevices: number; readonly isNewDevice: boolean },
  rule: WindowRulePolicy,
  mode: RuleRunMode,
): RuleEventOf<'multiple_devices'> | null {
  if (!counters.isNewDevice || counters.distinctDevices < rule.limit) return null;
  return {
    type: 'multiple_devices',
    severity: EVENT_TYPES.multiple_devices.severity,
    details: {
      distinctDevices: counters.distinctDevices,
      limit: rule.limit,
      windowMs: rule.windowMs,
      mode,
    },
  };
}
