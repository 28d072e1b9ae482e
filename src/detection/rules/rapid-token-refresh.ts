import { EVENT_TYPES } from '../../events/index.ts';
import type { WindowRulePolicy } from '../policy.ts';
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
