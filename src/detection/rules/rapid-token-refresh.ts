import { EVENT_TYPES } from '../../events/index.ts';
import type { WindowRulePolicy } from '../policy.ts';
import type { DetectionRule } from './rule.ts';
import type { RuleEventOf, RuleRunMode } from './verdict.ts';

/**
 * rapid_token_refresh: `limit` refreshes by one user in the window → high. Fires when the
 * count reaches each multiple of the limit, so a refresh loop raises a handful of alerts.
 */
export function evaluateRapidTokenRefresh(
  refreshes: number,
  rule: WindowRulePolicy,
  mode: RuleRunMode,
): RuleEventOf<'rapid_token_refresh'> | null {
  if (refreshes < rule.limit || refreshes % rule.limit !== 0) return null;
  return {
    type: 'rapid_token_refresh',
    severity: EVENT_TYPES.rapid_token_refresh.severity,
    details: { refreshes, limit: rule.limit, windowMs: rule.windowMs, mode },
  };
}

/** rapid_token_refresh: one user refreshing tokens too often (log only). */
export const rapidTokenRefreshRule: DetectionRule<'rapid_token_refresh', WindowRulePolicy> = {
  name: 'rapid_token_refresh',
  defaults: { mode: 'enforce', limit: 10, windowMs: 600_000 },
  eventTypes: ['rapid_token_refresh'],
  scope: 'account',
  recordRefresh: evaluateRapidTokenRefresh,
};
