import type { CounterStore } from '../store/index.ts';
import { hashAccount } from './account-key.ts';
import type { Outcome, RateQuota, Ticket } from './attempt.ts';
import type { BlockCache } from './block-cache.ts';
import { modeOf, type PolicyCompiler, policyOf } from './compiled-policy.ts';
import type { EventPublisher } from './event-publisher.ts';
import { quotaOf } from './quota.ts';
import type { ReputationTracker } from './reputation/reputation-tracker.ts';
import type { GeoLocator } from './rules/account-takeover.ts';
import { LOGIN_RECORD_RULES, REFRESH_RULES } from './rules/registry.ts';
import type { LoginRecordState } from './rules/rule.ts';
import type { RuleEvent } from './rules/verdict.ts';

/** What the record role needs. */
export interface RecordDeps {
  readonly store: CounterStore;
  readonly policies: PolicyCompiler;
  readonly events: EventPublisher;
  readonly cache: BlockCache;
  readonly clock: () => number;
  /** Geography seam for account_takeover. */
  readonly locate: GeoLocator | null;
  readonly reputation: ReputationTracker;
}

/**
 * The record role: after an allowed attempt ran, count its outcome in the store and run the
 * record decision of every rule (login: brute_force, account_guard, devices, takeover;
 * refresh: rapid_token_refresh).
 */
export class Recorder {
  readonly #store: CounterStore;
  readonly #policies: PolicyCompiler;
  readonly #events: EventPublisher;
  readonly #cache: BlockCache;
  readonly #clock: () => number;
  readonly #locate: GeoLocator | null;
  readonly #reputation: ReputationTracker;

  constructor(deps: RecordDeps) {
    this.#store = deps.store;
    this.#policies = deps.policies;
    this.#events = deps.events;
    this.#cache = deps.cache;
    this.#clock = deps.clock;
    this.#locate = deps.locate;
    this.#reputation = deps.reputation;
  }

  async record(ticket: Ticket, outcome: Outcome): Promise<RateQuota | null> {
    const now = this.#clock();
    if (outcome.kind === 'refreshed') {
      await this.#recordRefresh(ticket, outcome.userId, now);
      return null;
    }
    if (ticket.attempt.route !== 'login') return null;
    if (outcome.kind === 'login_failed' || outcome.kind === 'login_succeeded') {
      return this.#recordLogin(ticket, outcome, now);
    }
    // Only login tickets hold a reservation, and those carry the account key.
    if (ticket.reservation === null || ticket.accountKey === null) return null;
    await this.#store.recordIp({
      ipKey: ticket.ipKey,
      now,
      account: ticket.accountKey,
      reservation: ticket.reservation,
      outcome: 'release',
      bruteForce: this.#policies.current().bruteForce,
      isExempt: ticket.isExempt,
    });
    return null;
  }

  async #recordLogin(
    ticket: Ticket,
    outcome: Extract<Outcome, { kind: 'login_failed' | 'login_succeeded' }>,
    now: number,
  ): Promise<RateQuota> {
    const { attempt, reservation, ipKey, isExempt } = ticket;
    // A login flagged refused-before-check has no key yet: one recorded anyway still counts.
    const account = ticket.accountKey ?? hashAccount(attempt.account ?? '');
    // Held to the limits its precheck used (the IP's reputation level, read again now).
    const compiled = this.#reputation.tierOf(this.#policies.current(), ipKey, attempt.ip, now);
    const { policy } = compiled;
    const isSuccess = outcome.kind === 'login_succeeded';
    const [ip, acct] = await Promise.all([
      this.#store.recordIp({
        ipKey,
        now,
        account,
        reservation,
        outcome: isSuccess ? 'success' : 'failure',
        bruteForce: compiled.bruteForce,
        isExempt,
      }),
      this.#store.recordAccount({
        account,
        ipKey,
        ip: attempt.ip,
        now,
        outcome: isSuccess ? 'success' : 'failure',
        deviceId: isSuccess ? outcome.deviceId : null,
        guard: compiled.guard,
        knownIpTtlMs: compiled.knownIpTtlMs,
        knownIpMax: policy.knownIps.max,
        devicesWindowMs: policy.rules.multiple_devices.windowMs,
      }),
    ]);
    if (ip.block !== null) this.#cache.set(ip.block, now);
    const current = { ip: attempt.ip, ipKey, at: now };
    const state: LoginRecordState = { isSuccess, ip, account: acct, current, locate: this.#locate };
    const events: RuleEvent[] = [];
    for (const rule of LOGIN_RECORD_RULES) {
      const rulePolicy = policyOf(rule, policy);
      const mode = modeOf(rulePolicy.mode, rule.scope === 'ip' && isExempt);
      events.push(...(rule.recordLogin?.(state, rulePolicy, mode, now) ?? []));
    }
    const userId = isSuccess ? outcome.userId : null;
    this.#events.publishAll({ ...attempt, now }, ipKey, events, userId);
    const bruteForce = policy.rules.brute_force;
    const blockedForSeconds = ip.block === null ? 0 : bruteForce.blockSeconds;
    const remaining = ip.block === null ? bruteForce.limit - ip.failures : 0;
    return quotaOf('login', policy, ipKey, remaining, blockedForSeconds);
  }

  async #recordRefresh(ticket: Ticket, userId: string, now: number): Promise<void> {
    const { policy } = this.#policies.current();
    for (const rule of REFRESH_RULES) {
      const rulePolicy = policyOf(rule, policy) as {
        mode: 'enforce' | 'monitor';
        windowMs: number;
      };
      const refreshes = await this.#store.countRefresh({
        userId,
        now,
        windowMs: rulePolicy.windowMs,
      });
      const event = rule.recordRefresh?.(refreshes, rulePolicy, rulePolicy.mode) ?? null;
      if (event !== null)
        this.#events.publish({ ...ticket.attempt, now }, ticket.ipKey, event, userId);
    }
  }
}
