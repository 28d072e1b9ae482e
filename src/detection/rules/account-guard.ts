import { EVENT_TYPES } from '../../events/index.ts';
import type { AccountGuardLimits, AccountPrecheckResult } from '../../store/index.ts';
import type { AccountGuardPolicy } from '../policy.ts';
import type { DetectionRule } from './rule.ts';
import { NO_VERDICT, type RuleRunMode, type RuleVerdict, secondsUntil } from './verdict.ts';

/** The 429 text when an account is throttled for unknown IPs. */
export const ACCOUNT_THROTTLED_MESSAGE =
  'Too many failed attempts on this account. Try again later.';

/** Store limits of the account guard. */
export function toAccountGuardLimits(rule: AccountGuardPolicy): AccountGuardLimits {
  return {
    failureLimit: rule.failureLimit,
    distinctIpLimit: rule.distinctIpLimit,
    windowMs: rule.windowMs,
    throttleMs: rule.throttleSeconds * 1000,
  };
}

function thresholds(rule: AccountGuardPolicy) {
  return {
    failureLimit: rule.failureLimit,
    distinctIpLimit: rule.distinctIpLimit,
    windowMs: rule.windowMs,
    throttleSeconds: rule.throttleSeconds,
  };
}

/**
 * account_guard at precheck: a throttled account refuses IPs never seen in a successful
 * login for it (`ACCOUNT_THROTTLED`); known IPs (the real owner) always pass.
 */
export function evaluateAccountGuardPrecheck(
  counters: AccountPrecheckResult,
  rule: AccountGuardPolicy,
  mode: RuleRunMode,
  now: number,
): RuleVerdict {
  if (counters.throttledUntil <= now || counters.isKnownIp) return NO_VERDICT;
  const details = {
    failures: counters.failures,
    distinctIps: counters.distinctIps,
    throttledUntil: counters.throttledUntil,
    ...thresholds(rule),
    mode,
  };
  if (mode !== 'enforce') {
    return {
      block: null,
      events: [
        { type: 'account_guard', severity: 'medium', details: { ...details, action: 'none' } },
      ],
    };
  }
  const retryAfterSeconds = secondsUntil(counters.throttledUntil, now);
  return {
    block: {
      rule: 'account_guard',
      code: 'ACCOUNT_THROTTLED',
      message: ACCOUNT_THROTTLED_MESSAGE,
      retryAfterSeconds,
    },
    events: [
      { type: 'account_guard', severity: 'medium', details: { ...details, action: 'throttle' } },
    ],
  };
}

/** account_guard at record: the failure that starts a throttle raises a high alert. */
export function evaluateAccountGuardRecord(
  counters: {
    readonly failures: number;
    readonly distinctIps: number;
    readonly throttleStartedUntil: number;
  },
  rule: AccountGuardPolicy,
  mode: RuleRunMode,
): RuleVerdict {
  if (counters.throttleStartedUntil === 0) return NO_VERDICT;
  const details = {
    failures: counters.failures,
    distinctIps: counters.distinctIps,
    throttledUntil: counters.throttleStartedUntil,
    ...thresholds(rule),
    mode,
    action: 'throttle_started' as const,
  };
  const severity = EVENT_TYPES.account_guard.severity;
  return { block: null, events: [{ type: 'account_guard', severity, details }] };
}

/** account_guard: failures on one account from many IPs throttle it for unknown IPs. */
export const accountGuardRule: DetectionRule<'account_guard', AccountGuardPolicy> = {
  name: 'account_guard',
  defaults: {
    mode: 'enforce',
    failureLimit: 20,
    distinctIpLimit: 5,
    windowMs: 900_000,
    throttleSeconds: 900,
  },
  eventTypes: ['account_guard'],
  scope: 'account',
  precheck({ account }, policy, mode, now) {
    return account === null ? NO_VERDICT : evaluateAccountGuardPrecheck(account, policy, mode, now);
  },
  recordLogin({ account }, policy, mode) {
    return evaluateAccountGuardRecord(account, policy, mode).events;
  },
};
