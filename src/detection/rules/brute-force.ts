import { EVENT_TYPES } from '../../events/index.ts';
import type { BlockRecord, IpRuleLimits } from '../../store/index.ts';
import type { BlockingRulePolicy } from '../policy.ts';
import type { DetectionRule } from './rule.ts';
import { NO_VERDICT, type RuleRunMode, type RuleVerdict, secondsUntil } from './verdict.ts';

/** The 429 text of brute_force **(origin)**. */
export const BRUTE_FORCE_MESSAGE =
  'Too many failed attempts. Your IP has been temporarily blocked.';

/** Store limits for brute_force; exempt IPs and monitor mode count without blocking. */
export function toBruteForceLimits(rule: BlockingRulePolicy): IpRuleLimits {
  return {
    limit: rule.limit,
    windowMs: rule.windowMs,
    blockMs: rule.blockSeconds * 1000,
    isEnforced: rule.mode === 'enforce',
  };
}

/** Counter values the brute_force rule looks at (from a precheck or a record). */
export interface BruteForceCounters {
  readonly failures: number;
  readonly pending: number;
  /** Block this call created with rule brute_force, else null. */
  readonly created: BlockRecord | null;
  readonly isBusy: boolean;
  readonly isOverLimit: boolean;
}

/**
 * brute_force: a block created at the limit refuses with `IP_BLOCKED`; a window full of
 * pending reservations refuses with `RATE_LIMITED` (nobody blocked); monitor only reports.
 */
export function evaluateBruteForce(
  counters: BruteForceCounters,
  rule: BlockingRulePolicy,
  mode: RuleRunMode,
  now: number,
): RuleVerdict {
  const isCreated = counters.created !== null && counters.created.rule === 'brute_force';
  // The common case (under every limit) allocates nothing.
  if (!isCreated && !counters.isBusy && !counters.isOverLimit) return NO_VERDICT;
  const thresholds = {
    limit: rule.limit,
    windowMs: rule.windowMs,
    blockSeconds: rule.blockSeconds,
  };
  const counts = { failures: counters.failures, pending: counters.pending };
  if (isCreated && counters.created !== null) {
    const retryAfterSeconds = secondsUntil(counters.created.expiresAt, now);
    return {
      block: {
        rule: 'brute_force',
        code: 'IP_BLOCKED',
        message: BRUTE_FORCE_MESSAGE,
        retryAfterSeconds,
      },
      events: [
        {
          type: 'brute_force',
          severity: EVENT_TYPES.brute_force.severity,
          details: { ...counts, ...thresholds, mode, action: 'block' as const },
        },
      ],
    };
  }
  if (counters.isBusy) {
    return {
      block: {
        rule: 'brute_force',
        code: 'RATE_LIMITED',
        message: BRUTE_FORCE_MESSAGE,
        retryAfterSeconds: 1,
      },
      events: [
        {
          type: 'brute_force',
          severity: 'medium',
          details: { ...counts, ...thresholds, mode, action: 'throttle' as const },
        },
      ],
    };
  }
  if (counters.isOverLimit) {
    return {
      block: null,
      events: [
        {
          type: 'brute_force',
          severity: 'medium',
          details: { ...counts, ...thresholds, mode, action: 'none' as const },
        },
      ],
    };
  }
  return NO_VERDICT;
}

/** brute_force (SPEC §3): failed logins per IP in a sliding window block the IP. */
export const bruteForceRule: DetectionRule<'brute_force', BlockingRulePolicy> = {
  name: 'brute_force',
  defaults: { mode: 'enforce', limit: 5, windowMs: 300_000, blockSeconds: 3600 },
  eventTypes: ['brute_force'],
  scope: 'ip',
  precheck({ ip }, policy, mode, now) {
    const created = ip.isBlockCreated ? ip.block : null;
    const isOverLimit = ip.monitored.includes('brute_force');
    // The common case (under every limit) allocates nothing.
    if (created === null && !ip.isBusy && !isOverLimit) return NO_VERDICT;
    return evaluateBruteForce({ ...ip, created, isOverLimit }, policy, mode, now);
  },
  recordLogin({ ip }, policy, mode, now) {
    const { failures, block, isMonitored } = ip;
    if (block === null && !isMonitored) return NO_VERDICT.events;
    const counters = {
      failures,
      pending: 0,
      created: block,
      isBusy: false,
      isOverLimit: isMonitored,
    };
    return evaluateBruteForce(counters, policy, mode, now).events;
  },
};
