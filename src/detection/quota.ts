import type { AuthRoute, Decision, RateQuota, Refusal, Ticket } from './attempt.ts';
import type { DetectionPolicy } from './policy.ts';
import type { BlockVerdict } from './rules/verdict.ts';

export function allow(ticket: Ticket): Decision {
  return { action: 'allow', ticket };
}

export function refuse(verdict: BlockVerdict, quota?: RateQuota): Refusal {
  return quota === undefined
    ? { action: 'block', ...verdict }
    : { action: 'block', ...verdict, quota };
}

/**
 * The quota of the rule closest to refusing on `route` (brute_force on login, bot_activity on
 * signup). `refusedForSeconds` > 0 is how long a refusal lasts; else the quota is whole again
 * within one window (sliding windows: every counted entry has left it by then).
 */
export function quotaOf(
  route: AuthRoute,
  policy: DetectionPolicy,
  clientKey: string,
  remaining: number,
  refusedForSeconds: number,
): RateQuota {
  const isLogin = route === 'login';
  const rule = isLogin ? policy.rules.brute_force : policy.rules.bot_activity;
  const windowSeconds = Math.ceil(rule.windowMs / 1000);
  return {
    rule: isLogin ? 'brute_force' : 'bot_activity',
    limit: rule.limit,
    windowSeconds,
    remaining: Math.max(0, remaining),
    resetSeconds: refusedForSeconds > 0 ? refusedForSeconds : windowSeconds,
    clientKey,
  };
}
