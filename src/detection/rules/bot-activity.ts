import { EVENT_TYPES } from '../../events/index.ts';
import type { BlockRecord, IpRuleLimits } from '../../store/index.ts';
import type { AuthRoute } from '../attempt.ts';
import type { BlockingRulePolicy } from '../policy.ts';
import type { DetectionRule } from './rule.ts';
import { NO_VERDICT, type RuleRunMode, type RuleVerdict, secondsUntil } from './verdict.ts';

/** The 429 text of bot_activity on signup **(origin)**. */
export const SIGNUP_BOT_MESSAGE = 'Too many signup attempts';
/** The 429 text of bot_activity on login. */
export const LOGIN_BOT_MESSAGE = 'Too many requests. Your IP has been temporarily blocked.';

/** The refusal text of a bot_activity block on this route. */
export function botActivityMessage(route: AuthRoute): string {
  return route === 'signup' ? SIGNUP_BOT_MESSAGE : LOGIN_BOT_MESSAGE;
}

/** Store limits for bot_activity (credential requests per IP). */
export function toBotActivityLimits(rule: BlockingRulePolicy): IpRuleLimits {
  return {
    limit: rule.limit,
    windowMs: rule.windowMs,
    blockMs: rule.blockSeconds * 1000,
    isEnforced: rule.mode === 'enforce',
  };
}

/**
 * bot_activity: more than `limit` credential requests in the window blocks the IP
 * (`IP_BLOCKED`); in monitor mode or for an allowlisted IP it only reports.
 */
export function evaluateBotActivity(
  counters: {
    readonly requests: number;
    readonly created: BlockRecord | null;
    readonly isOverLimit: boolean;
  },
  rule: BlockingRulePolicy,
  route: AuthRoute,
  mode: RuleRunMode,
  now: number,
): RuleVerdict {
  const isCreated = counters.created !== null && counters.created.rule === 'bot_activity';
  // The common case (under the limit) allocates nothing.
  if (!isCreated && !counters.isOverLimit) return NO_VERDICT;
  const details = {
    requests: counters.requests,
    limit: rule.limit,
    windowMs: rule.windowMs,
    blockSeconds: rule.blockSeconds,
    route,
    mode,
  };
  if (isCreated && counters.created !== null) {
    const message = botActivityMessage(route);
    const retryAfterSeconds = secondsUntil(counters.created.expiresAt, now);
    return {
      block: { rule: 'bot_activity', code: 'IP_BLOCKED', message, retryAfterSeconds },
      events: [
        {
          type: 'bot_activity',
          severity: EVENT_TYPES.bot_activity.severity,
          details: { ...details, action: 'block' },
        },
      ],
    };
  }
  if (counters.isOverLimit) {
    return {
      block: null,
      events: [
        { type: 'bot_activity', severity: 'medium', details: { ...details, action: 'none' } },
      ],
    };
  }
  return NO_VERDICT;
}

/** bot_activity (SPEC §3): credential requests per IP in a sliding window block the IP. */
export const botActivityRule: DetectionRule<'bot_activity', BlockingRulePolicy> = {
  name: 'bot_activity',
  defaults: { mode: 'enforce', limit: 50, windowMs: 60_000, blockSeconds: 1800 },
  eventTypes: ['bot_activity'],
  scope: 'ip',
  precheck({ ip, route }, policy, mode, now) {
    const created = ip.isBlockCreated ? ip.block : null;
    const isOverLimit = created !== null || ip.monitored.includes('bot_activity');
    if (!isOverLimit) return NO_VERDICT;
    return evaluateBotActivity(
      { requests: ip.requests, created, isOverLimit },
      policy,
      route,
      mode,
      now,
    );
  },
};
