import type { AccountGuardLimits, IpRuleLimits } from '../store/index.ts';
import { type CidrList, parseCidrList, toClientKey } from './client-ip.ts';
import type { DetectionPolicy, RuleMode } from './policy.ts';
import { toAccountGuardLimits } from './rules/account-guard.ts';
import { toBotActivityLimits } from './rules/bot-activity.ts';
import { toBruteForceLimits } from './rules/brute-force.ts';
import type { AnyRule } from './rules/rule.ts';
import type { RuleRunMode } from './rules/verdict.ts';

/** What a policy object turns into once (not per request): lists and store limits. */
export interface CompiledPolicy {
  readonly policy: DetectionPolicy;
  readonly allow: CidrList;
  readonly deny: CidrList;
  readonly bruteForce: IpRuleLimits;
  readonly botActivity: IpRuleLimits;
  readonly guard: AccountGuardLimits;
  readonly knownIpTtlMs: number;
  /**
   * The same policy tightened by reputation: [halved brute_force and bot_activity limits,
   * halved and a brute_force limit of 1 (the first failure blocks)]. Empty inside a tier.
   */
  readonly tiers: readonly CompiledPolicy[];
}

/**
 * The current policy, compiled once per policy object: `policy` is a getter, so a reloaded
 * policy applies at once and is compiled on its first use.
 */
export class PolicyCompiler {
  readonly #policy: () => DetectionPolicy;
  readonly #compiled = new WeakMap<DetectionPolicy, CompiledPolicy>();

  constructor(policy: () => DetectionPolicy) {
    this.#policy = policy;
  }

  current(): CompiledPolicy {
    const policy = this.#policy();
    let compiled = this.#compiled.get(policy);
    if (compiled === undefined) {
      compiled = compilePolicy(policy);
      this.#compiled.set(policy, compiled);
    }
    return compiled;
  }
}

/** Parses the lists and derives the store limits of a policy. */
export function compilePolicy(policy: DetectionPolicy, isTier = false): CompiledPolicy {
  const { rules } = policy;
  const tiers = isTier ? [] : [tightened(policy, false), tightened(policy, true)];
  return {
    policy,
    allow: parseCidrList(policy.allowlist),
    deny: parseCidrList(policy.denylist),
    bruteForce: toBruteForceLimits(rules.brute_force),
    botActivity: toBotActivityLimits(rules.bot_activity),
    guard: toAccountGuardLimits(rules.account_guard),
    knownIpTtlMs: policy.knownIps.ttlDays * 86_400_000,
    tiers,
  };
}

/** Limits halved, rounded up (5 → 3, 50 → 25); `isStrict`: a brute_force limit of 1. */
function tightened(policy: DetectionPolicy, isStrict: boolean): CompiledPolicy {
  const { brute_force: bf, bot_activity: bot } = policy.rules;
  const rules = {
    ...policy.rules,
    brute_force: { ...bf, limit: isStrict ? 1 : Math.ceil(bf.limit / 2) },
    bot_activity: { ...bot, limit: Math.ceil(bot.limit / 2) },
  };
  return compilePolicy({ ...policy, rules }, true);
}

// A canonical dotted-quad IPv4 address (no leading zeros, octets up to 255) is its own key.
const CANONICAL_IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `toClientKey`, without parsing the common case (a canonical IPv4 socket address). */
export function clientKeyOf(ip: string, ipv6PrefixLength: number): string {
  return CANONICAL_IPV4.test(ip) ? ip : toClientKey(ip, ipv6PrefixLength);
}

/** How a rule runs for this request: an allowlisted IP is only ever reported on. */
export function modeOf(mode: RuleMode, isExempt: boolean): RuleRunMode {
  return isExempt ? 'allowlisted' : mode;
}

/** A rule's policy in `policy.rules`, by the rule's name. */
export function policyOf(rule: AnyRule, policy: DetectionPolicy): { readonly mode: RuleMode } {
  return (policy.rules as unknown as Record<string, { readonly mode: RuleMode }>)[rule.name] as {
    readonly mode: RuleMode;
  };
}
