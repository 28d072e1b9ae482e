import { accountGuardRule } from './account-guard.ts';
import { accountTakeoverRule } from './account-takeover.ts';
import { botActivityRule } from './bot-activity.ts';
import { bruteForceRule } from './brute-force.ts';
import { multipleDevicesRule } from './multiple-devices.ts';
import { rapidTokenRefreshRule } from './rapid-token-refresh.ts';
import type { AnyRule } from './rule.ts';
import { suspiciousUserAgentRule } from './suspicious-user-agent.ts';

/**
 * Every detection rule, in policy order: one line each. The detector, the policy defaults and
 * its validation, and the README's rule table are derived from this list.
 */
export const RULES = [
  bruteForceRule,
  botActivityRule,
  suspiciousUserAgentRule,
  multipleDevicesRule,
  rapidTokenRefreshRule,
  accountTakeoverRule,
  accountGuardRule,
] as const satisfies readonly AnyRule[];

/** A rule's name (a key of `policy.rules`). */
export type RuleName = (typeof RULES)[number]['name'];

/** `policy.rules`: each rule's policy, by name. */
export type RulesPolicy = {
  readonly [R in (typeof RULES)[number] as R['name']]: R['defaults'];
};

/** The rules taking part in each phase, in registry order. */
export const PRECHECK_RULES: readonly AnyRule[] = RULES.filter((r) => 'precheck' in r);
export const INSPECT_RULES: readonly AnyRule[] = RULES.filter((r) => 'inspect' in r);
export const LOGIN_RECORD_RULES: readonly AnyRule[] = RULES.filter((r) => 'recordLogin' in r);
export const REFRESH_RULES: readonly AnyRule[] = RULES.filter((r) => 'recordRefresh' in r);

/** A rule by name (for a block: the rule that created it). */
export function ruleNamed(name: string): AnyRule | undefined {
  return RULES.find((r) => r.name === name);
}

/** The defaults of `policy.rules`, built from the rules. */
export function defaultRulesPolicy(): RulesPolicy {
  return Object.fromEntries(RULES.map((r) => [r.name, r.defaults])) as unknown as RulesPolicy;
}
