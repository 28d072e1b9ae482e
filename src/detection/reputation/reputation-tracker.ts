import type { CounterStore, ReputationScore } from '../../store/index.ts';
import type { CompiledPolicy } from '../compiled-policy.ts';
import type { ReputationPolicy } from '../policy.ts';
import type { RuleEvent } from '../rules/verdict.ts';
import type { SeedLists } from './seed-lists.ts';

/** How far an IP's reputation tightens the rules: 0 none, 1 halved limits, 2 first failure blocks. */
export type ReputationLevel = 0 | 1 | 2;

// Reports that are not a new offence: repeats (throttles) and monitor-only reports.
const NOT_SCORED = new Set(['throttle', 'none']);

/**
 * IP reputation on the counter store: adds each scored event's weight to its client key's
 * score, and tells the precheck how far a key's score (or a seed list) tightens the rules.
 */
export class ReputationTracker {
  readonly #store: CounterStore;
  readonly #lists: SeedLists | null;

  constructor(store: CounterStore, lists: SeedLists | null) {
    this.#store = store;
    this.#lists = lists;
  }

  /** Scores a published event (fire and forget: a failed write never fails the request). */
  note(ipKey: string, event: RuleEvent, now: number, policy: ReputationPolicy): void {
    const points = (policy.weights as Readonly<Record<string, number>>)[event.type];
    if (points === undefined) return;
    const action = 'action' in event.details ? String(event.details.action) : '';
    if (NOT_SCORED.has(action)) return;
    const { halfLifeMs, tightenAt, strictAt } = policy;
    const thresholds = [tightenAt, strictAt];
    const input = { ipKey, now, type: event.type, points, halfLifeMs, thresholds };
    this.#store.addReputation(input).catch(() => {});
  }

  /** The key's level now (0 in monitor mode: scores are shown, limits not tightened). */
  levelOf(ipKey: string, ip: string, now: number, policy: ReputationPolicy): ReputationLevel {
    if (policy.mode !== 'enforce') return 0;
    const listed = this.#lists?.matches(ip) === true ? policy.listedScore : 0;
    const isAtLeast = (threshold: number) =>
      listed >= threshold || this.#store.isReputationAtLeast(ipKey, threshold, now);
    if (isAtLeast(policy.strictAt)) return 2;
    return isAtLeast(policy.tightenAt) ? 1 : 0;
  }

  /** The policy this key is held to now. */
  tierOf(compiled: CompiledPolicy, ipKey: string, ip: string, now: number): CompiledPolicy {
    const level = this.levelOf(ipKey, ip, now, compiled.policy.reputation);
    return level === 0 ? compiled : (compiled.tiers[level - 1] ?? compiled);
  }

  /** The score shown to admins: the stored one, or the seed list's when that is higher. */
  async scoreOf(
    ipKey: string,
    ip: string,
    now: number,
    policy: ReputationPolicy,
  ): Promise<ReputationScore & { listed: boolean }> {
    const stored = await this.#store.getReputation(ipKey, now, policy.halfLifeMs);
    const listed = this.#lists?.matches(ip) === true;
    const score = Math.max(stored.score, listed ? policy.listedScore : 0);
    return { score: Math.round(score * 10) / 10, reasons: stored.reasons, listed };
  }
}
