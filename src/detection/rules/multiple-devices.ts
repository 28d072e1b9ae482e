import { EVENT_TYPES } from '../../events/index.ts';
import type { WindowRulePolicy } from '../policy.ts';
import type { DetectionRule } from './rule.ts';
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

/** multiple_devices: many distinct devices logging into one account (log only). */
export const multipleDevicesRule: DetectionRule<'multiple_devices', WindowRulePolicy> = {
  name: 'multiple_devices',
  defaults: { mode: 'enforce', limit: 3, windowMs: 3_600_000 },
  eventTypes: ['multiple_devices'],
  scope: 'account',
  recordLogin({ isSuccess, account }, policy, mode) {
    const event = isSuccess ? evaluateMultipleDevices(account, policy, mode) : null;
    return event === null ? [] : [event];
  },
};
