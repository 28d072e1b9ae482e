import type {
  AccountGuardLimits,
  AccountPrecheckInput,
  AccountPrecheckResult,
  AccountRecordInput,
  AccountRecordResult,
  BlockRecord,
  CounterStore,
  IpCounters,
  IpPeekInput,
  IpPrecheckInput,
  IpPrecheckResult,
  IpRecordInput,
  IpRecordResult,
  IpRuleLimits,
  RefreshCountInput,
  ReputationInput,
  ReputationScore,
  SetBlockInput,
} from '../store/index.ts';

/** Each instance's share of a limit: ceil(limit / fleet size), at least 1. Pure. */
export function fleetShare(limit: number, fleetSize: number): number {
  if (!Number.isFinite(fleetSize) || fleetSize <= 1) return limit;
  return Math.max(1, Math.ceil(limit / Math.floor(fleetSize)));
}

/**
 * The in-process store as one instance of a fleet uses it while Redis is away: every per-IP
 * and per-account limit (brute_force, bot_activity, account_guard failures) is cut to this
 * instance's share, so the fleet together allows at most limit + fleet size − 1. The
 * distinct-IP condition of account_guard is not divided: behind a balancer every instance
 * sees the same IPs. A fleet of one keeps the full limits.
 */
export class FleetShareStore implements CounterStore {
  readonly #inner: CounterStore;
  readonly #fleetSize: () => number;
  /** Scaled copies per limits object (the detector reuses one per policy), for the last size. */
  readonly #ipLimits = new WeakMap<IpRuleLimits, { size: number; limits: IpRuleLimits }>();
  readonly #guards = new WeakMap<
    AccountGuardLimits,
    { size: number; limits: AccountGuardLimits }
  >();

  /** `fleetSize` is read on every call (it is learned while Redis is healthy). */
  constructor(inner: CounterStore, fleetSize: () => number) {
    this.#inner = inner;
    this.#fleetSize = fleetSize;
  }

  /** See `CounterStore.precheckIp`; both IP limits are this instance's share. */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    const bruteForce = this.#ip(input.bruteForce);
    const botActivity = this.#ip(input.botActivity);
    return this.#inner.precheckIp({ ...input, bruteForce, botActivity });
  }

  /** See `CounterStore.recordIp`. */
  recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    return this.#inner.recordIp({ ...input, bruteForce: this.#ip(input.bruteForce) });
  }

  /** See `CounterStore.precheckAccount`. */
  precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    return this.#inner.precheckAccount({ ...input, guard: this.#guard(input.guard) });
  }

  /** See `ReputationStore`. */
  addReputation(input: ReputationInput): Promise<ReputationScore> {
    return this.#inner.addReputation(input);
  }

  getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    return this.#inner.getReputation(ipKey, now, halfLifeMs);
  }

  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean {
    return this.#inner.isReputationAtLeast(ipKey, threshold, now);
  }

  /** See `CounterStore.peekIp`. */
  peekIp(input: IpPeekInput): Promise<IpCounters> {
    return this.#inner.peekIp(input);
  }

  /** See `CounterStore.isSurelyUnthrottled`. */
  isSurelyUnthrottled(account: string, now: number): boolean {
    return this.#inner.isSurelyUnthrottled(account, now);
  }

  /** See `CounterStore.recordAccount`. */
  recordAccount(input: AccountRecordInput): Promise<AccountRecordResult> {
    return this.#inner.recordAccount({ ...input, guard: this.#guard(input.guard) });
  }

  /** See `CounterStore.countRefresh` (an alert threshold, not a limit: not divided). */
  countRefresh(input: RefreshCountInput): Promise<number> {
    return this.#inner.countRefresh(input);
  }

  /** See `CounterStore.getBlock`. */
  getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    return this.#inner.getBlock(ipKey, now);
  }

  /** See `CounterStore.listBlocks`. */
  listBlocks(now: number): Promise<BlockRecord[]> {
    return this.#inner.listBlocks(now);
  }

  /** See `CounterStore.countBlocks`. */
  countBlocks(now: number): Promise<number> {
    return this.#inner.countBlocks(now);
  }

  /** See `CounterStore.setBlock`. */
  setBlock(input: SetBlockInput): Promise<BlockRecord> {
    return this.#inner.setBlock(input);
  }

  /** See `CounterStore.unblock`. */
  unblock(ipKey: string, now: number): Promise<boolean> {
    return this.#inner.unblock(ipKey, now);
  }

  /** See `CounterStore.ping`. */
  ping(): Promise<void> {
    return this.#inner.ping();
  }

  #ip(limits: IpRuleLimits): IpRuleLimits {
    const size = this.#fleetSize();
    const cached = this.#ipLimits.get(limits);
    if (cached !== undefined && cached.size === size) return cached.limits;
    const scaled = { ...limits, limit: fleetShare(limits.limit, size) };
    this.#ipLimits.set(limits, { size, limits: scaled });
    return scaled;
  }

  #guard(guard: AccountGuardLimits): AccountGuardLimits {
    const size = this.#fleetSize();
    const cached = this.#guards.get(guard);
    if (cached !== undefined && cached.size === size) return cached.limits;
    const scaled = { ...guard, failureLimit: fleetShare(guard.failureLimit, size) };
    this.#guards.set(guard, { size, limits: scaled });
    return scaled;
  }
}
