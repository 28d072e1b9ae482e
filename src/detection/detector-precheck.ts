import { EVENT_TYPES } from '../events/index.ts';
import type {
  AccountPrecheckResult,
  BlockRecord,
  CounterStore,
  IpPrecheckResult,
} from '../store/index.ts';
import { hashAccount } from './account-key.ts';
import {
  type Attempt,
  type Decision,
  isCredentialRoute,
  type Refusal,
  type Ticket,
} from './attempt.ts';
import type { BlockCache } from './block-cache.ts';
import {
  type CompiledPolicy,
  clientKeyOf,
  modeOf,
  type PolicyCompiler,
  policyOf,
} from './compiled-policy.ts';
import { type EventPublisher, REPEAT_INTERVAL_MS } from './event-publisher.ts';
import { allow, quotaOf, refuse } from './quota.ts';
import type { ReputationTracker } from './reputation/reputation-tracker.ts';
import { evaluateActiveBlock, IP_BLOCKED_MESSAGE } from './rules/active-block.ts';
import { INSPECT_RULES, PRECHECK_RULES, ruleNamed } from './rules/registry.ts';
import type { AnyRule, PrecheckState } from './rules/rule.ts';
import { UserAgentClassifier } from './rules/suspicious-user-agent.ts';
import { NO_VERDICT, type RuleEvent, type RuleVerdict } from './rules/verdict.ts';

const USER_AGENT_INTERVAL_MS = 60_000;

/** What the precheck role needs. */
export interface PrecheckDeps {
  readonly store: CounterStore;
  readonly policies: PolicyCompiler;
  readonly events: EventPublisher;
  readonly cache: BlockCache;
  readonly reputation: ReputationTracker;
}

/**
 * The precheck role: before any password or database work, answer from memory (denylist, a
 * cached block) or with one store round trip, and run the precheck decision of every rule.
 */
export class Prechecker {
  readonly #store: CounterStore;
  readonly #policies: PolicyCompiler;
  readonly #events: EventPublisher;
  readonly #cache: BlockCache;
  readonly #userAgents = new UserAgentClassifier();
  readonly #reputation: ReputationTracker;

  constructor(deps: PrecheckDeps) {
    this.#store = deps.store;
    this.#policies = deps.policies;
    this.#events = deps.events;
    this.#cache = deps.cache;
    this.#reputation = deps.reputation;
  }

  // Not `async`: the store path hands back #precheckStore's promise itself (one promise
  // and two microtask hops fewer per call); a throw still becomes a rejection.
  precheck(attempt: Attempt): Promise<Decision> {
    try {
      const compiled = this.#policies.current();
      const ipKey = clientKeyOf(attempt.ip, compiled.policy.ipv6PrefixLength);
      // A flood from a blocked IP is answered first, from memory: no other rule, no store.
      if (attempt.isMemoryChecked !== true) {
        const refusal = this.#refuseFromMemory(attempt, ipKey, compiled);
        if (refusal !== null) return Promise.resolve(refusal);
      }
      const isExempt = compiled.allow.matches(attempt.ip);
      this.#inspect(attempt, ipKey, compiled, isExempt);
      // Token routes: no IP block, no bot rule (a blocked NAT neighbour must not log all out).
      if (!isCredentialRoute(attempt.route)) {
        return Promise.resolve(
          allow({ attempt, reservation: null, ipKey, accountKey: null, isExempt }),
        );
      }
      // The IP's reputation may hold it to tightened limits (a fresh IP: the policy's own).
      const tier = this.#reputation.tierOf(compiled, ipKey, attempt.ip, attempt.now);
      return this.#precheckStore(attempt, ipKey, isExempt, tier);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  precheckFromMemory(attempt: Attempt): Refusal | null {
    const compiled = this.#policies.current();
    const ipKey = clientKeyOf(attempt.ip, compiled.policy.ipv6PrefixLength);
    return this.#refuseFromMemory(attempt, ipKey, compiled);
  }

  #refuseFromMemory(attempt: Attempt, ipKey: string, compiled: CompiledPolicy): Refusal | null {
    if (compiled.deny.matches(attempt.ip)) return this.#denylisted(attempt, ipKey, compiled);
    if (!isCredentialRoute(attempt.route) || compiled.allow.matches(attempt.ip)) return null;
    const cached = this.#cache.get(ipKey, attempt.now);
    if (cached === null) return null;
    this.#events.countBlocked(attempt, ipKey, cached);
    const verdict = evaluateActiveBlock(cached, attempt.route, attempt.now);
    const quota = quotaOf(attempt.route, compiled.policy, ipKey, 0, verdict.retryAfterSeconds);
    return refuse(verdict, quota);
  }

  // Rules that look at the request alone (the user agent), on every auth route.
  #inspect(attempt: Attempt, ipKey: string, compiled: CompiledPolicy, isExempt: boolean): void {
    const category = this.#userAgents.classify(attempt.userAgent);
    for (const rule of INSPECT_RULES) {
      const policy = policyOf(rule, compiled.policy);
      const event = rule.inspect?.(category, policy, modeOf(policy.mode, isExempt)) ?? null;
      if (event === null) continue;
      const key = `${rule.name}:${ipKey}`;
      this.#events.hold(key, USER_AGENT_INTERVAL_MS, attempt, ipKey, event, null);
    }
  }

  async #precheckStore(
    attempt: Attempt,
    ipKey: string,
    isExempt: boolean,
    compiled: CompiledPolicy,
  ): Promise<Decision> {
    const { policy } = compiled;
    const { decision, ip } = await this.#decideWithStore(attempt, ipKey, isExempt, compiled);
    if (decision.action === 'block') {
      const quota = quotaOf(attempt.route, policy, ipKey, 0, decision.retryAfterSeconds);
      return { ...decision, quota };
    }
    // Counts as of this request: its own request (signup) or reserved slot (login) included.
    const { rules } = policy;
    const remaining =
      attempt.route === 'login'
        ? rules.brute_force.limit - ip.failures - ip.pending - (ip.reservation === null ? 0 : 1)
        : rules.bot_activity.limit - ip.requests;
    return { ...decision, quota: quotaOf(attempt.route, policy, ipKey, remaining, 0) };
  }

  // One store round trip: the decision, and the counters the quota is read from.
  async #decideWithStore(
    attempt: Attempt,
    ipKey: string,
    isExempt: boolean,
    compiled: CompiledPolicy,
  ): Promise<{ decision: Decision; ip: IpPrecheckResult }> {
    const { now } = attempt;
    // A login refused before any password check reserves no slot, needs no account read and
    // is not hashed here (the recorder hashes it should such a login be recorded after all).
    const isChecked = attempt.route === 'login' && attempt.isRefusedBeforeCheck?.() !== true;
    const slotAccount = isChecked ? hashAccount(attempt.account ?? '') : null;
    // Only a throttled account needs reading before the password check; the store usually
    // knows without I/O that it is not (then no second call and no Promise.all). Asked
    // before the IP call so a throw here cannot leave that call's promise unobserved.
    const needsAccount = slotAccount !== null && !this.#store.isSurelyUnthrottled(slotAccount, now);
    const ipReply = this.#store.precheckIp({
      ipKey,
      now,
      account: slotAccount,
      bruteForce: compiled.bruteForce,
      botActivity: compiled.botActivity,
      isExempt,
    });
    const acctReply = needsAccount
      ? this.#store.precheckAccount({
          account: slotAccount,
          ipKey,
          now,
          guard: compiled.guard,
          knownIpTtlMs: compiled.knownIpTtlMs,
          onlyIfThrottled: true,
        })
      : null;
    let ip: IpPrecheckResult;
    let account: AccountPrecheckResult | null = null;
    if (acctReply === null) {
      ip = await ipReply;
    } else {
      [ip, account] = await Promise.all([ipReply, acctReply]);
    }
    const ticket = {
      attempt,
      reservation: ip.reservation,
      ipKey,
      accountKey: slotAccount,
      isExempt,
    };
    if (ip.block !== null) {
      this.#cache.set(ip.block, now);
      if (!ip.isBlockCreated) return { decision: this.#blocked(attempt, ipKey, ip.block), ip };
    } else {
      // Lifted elsewhere (or expired): a cached copy on this instance must not answer again.
      this.#cache.delete(ipKey);
    }
    // A block created now is the creating rule's alone to report.
    const rules = ip.block === null ? PRECHECK_RULES : ruleListOf(ip.block.rule);
    const state: PrecheckState = { route: attempt.route, ip, account };
    const verdicts = this.#runRules(rules, state, compiled, isExempt, now);
    const { block } = ip;
    if (block !== null) {
      // Created by this request: refused whatever the rule said.
      const refusal = this.#settle(ticket, verdicts ?? [], compiled);
      const fallback = () => refuse(evaluateActiveBlock(block, attempt.route, now));
      return { decision: refusal.action === 'block' ? refusal : fallback(), ip };
    }
    if (verdicts === null) return { decision: allow(ticket), ip };
    return { decision: this.#settle(ticket, verdicts, compiled), ip };
  }

  // Every rule's decision; null when none fired (the common case allocates nothing more).
  #runRules(
    rules: readonly AnyRule[],
    state: PrecheckState,
    compiled: CompiledPolicy,
    isExempt: boolean,
    now: number,
  ): RuleVerdict[] | null {
    let verdicts: RuleVerdict[] | null = null;
    for (const rule of rules) {
      const policy = policyOf(rule, compiled.policy);
      const verdict = rule.precheck?.(state, policy, modeOf(policy.mode, isExempt), now);
      if (verdict === undefined || verdict === NO_VERDICT) continue;
      if (verdicts === null) verdicts = [];
      verdicts.push(verdict);
    }
    return verdicts;
  }

  #settle(ticket: Ticket, verdicts: readonly RuleVerdict[], compiled: CompiledPolicy): Decision {
    const { attempt, ipKey, reservation, accountKey } = ticket;
    for (const verdict of verdicts) this.#events.publishAll(attempt, ipKey, verdict.events, null);
    const refusal = verdicts.find((v) => v.block !== null)?.block ?? null;
    if (refusal === null) return allow(ticket);
    if (reservation !== null && accountKey !== null) {
      // Refused after reserving (account throttle): give the slot back, off the hot path.
      const { bruteForce } = compiled;
      const input = { ipKey, now: attempt.now, account: accountKey, reservation, bruteForce };
      this.#store.recordIp({ ...input, isExempt: false, outcome: 'release' }).catch(() => {});
    }
    return refuse(refusal);
  }

  // Refused by a block already in force: counted in the IP's `blocked_request` roll-up.
  #blocked(attempt: Attempt, ipKey: string, block: BlockRecord): Decision {
    this.#events.countBlocked(attempt, ipKey, block);
    return refuse(evaluateActiveBlock(block, attempt.route, attempt.now));
  }

  #denylisted(attempt: Attempt, ipKey: string, compiled: CompiledPolicy): Refusal {
    const severity = EVENT_TYPES.ip_denylisted.severity;
    const event: RuleEvent = { type: 'ip_denylisted', severity, details: { action: 'block' } };
    this.#events.hold(`deny:${ipKey}`, REPEAT_INTERVAL_MS, attempt, ipKey, event, null);
    return refuse({
      rule: 'ip_denylisted',
      code: 'IP_BLOCKED',
      message: IP_BLOCKED_MESSAGE,
      retryAfterSeconds: compiled.policy.denylistRetryAfterSeconds,
    });
  }
}

const SINGLE_RULE_LISTS = new Map<string, readonly AnyRule[]>();

/** The one rule that created a block, as a list (cached: no allocation per block). */
function ruleListOf(name: string): readonly AnyRule[] {
  let list = SINGLE_RULE_LISTS.get(name);
  if (list === undefined) {
    const rule = ruleNamed(name);
    list = rule === undefined ? [] : [rule];
    SINGLE_RULE_LISTS.set(name, list);
  }
  return list;
}
