import { randomInt } from 'node:crypto';
import { BoundedMap } from './bounded-map.ts';
import type {
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
  IpRuleName,
  RefreshCountInput,
  ReputationInput,
  ReputationScore,
  SetBlockInput,
} from './counter-store.ts';
import { DEFAULT_PENDING_TTL_MS } from './counter-store.ts';
import { hashToNumber } from './keyed-hash.ts';
import {
  type AccountState,
  keepAfter,
  newAccountState,
  recordSuccess,
  trimPairs,
} from './memory/account-state.ts';
import {
  clearAccount,
  countSlots,
  findSlot,
  type IpWindows,
  newestTimestamp,
  readBot,
  readSlots,
  ruleBlock,
  trimFront,
  writeWindows,
} from './memory/ip-windows.ts';
import { ReputationScores } from './memory/reputation-scores.ts';
import {
  BLOCK_REASONS,
  BOT_OVER,
  BRUTE_BLOCKS,
  BRUTE_BUSY,
  GUARD_OVER,
} from './rule-thresholds.ts';

/** Bounds of the in-process store. Keys over a cap evict the least recently written. */
export interface MemoryCounterStoreOptions {
  readonly maxIpKeys?: number;
  readonly maxAccountKeys?: number;
  readonly maxUserKeys?: number;
  readonly maxBlocks?: number;
  /** Entries kept per window at most (monitor mode lets windows grow past the limit). */
  readonly maxEntriesPerKey?: number;
  readonly pendingTtlMs?: number;
}

const EMPTY_RESULT_FIELDS = { requests: 0, failures: 0, pending: 0, reservation: null };

/**
 * In-process `CounterStore`: every call is synchronous, hence atomic. Memory is bounded:
 * expired keys are swept a few per write and each map has a key cap with eviction.
 */
export class MemoryCounterStore implements CounterStore {
  readonly #ips: BoundedMap<IpWindows>;
  readonly #blocks: BoundedMap<BlockRecord>;
  readonly #accounts: BoundedMap<AccountState>;
  readonly #refreshes: BoundedMap<number[]>;
  readonly #reputation: ReputationScores;
  readonly #maxEntries: number;
  readonly #pendingTtlMs: number;
  readonly #seed = randomInt(0, 2 ** 31);
  #retentionMs = 0;
  #accountRetentionMs = 0;
  #refreshRetentionMs = 0;
  #nextSlotId = 1;

  /** Caps default to 1,000,000 IPs, 200,000 accounts and users, 100,000 blocks. */
  constructor(options: MemoryCounterStoreOptions = {}) {
    this.#maxEntries = options.maxEntriesPerKey ?? 1000;
    this.#pendingTtlMs = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
    this.#ips = new BoundedMap(options.maxIpKeys ?? 1_000_000, (windows, now) => {
      return newestTimestamp(windows) <= now - this.#retentionMs;
    });
    this.#reputation = new ReputationScores(options.maxIpKeys ?? 1_000_000);
    this.#blocks = new BoundedMap(options.maxBlocks ?? 100_000, (b, now) => b.expiresAt <= now);
    this.#accounts = new BoundedMap(options.maxAccountKeys ?? 200_000, (a, now) => {
      return a.touchedAt <= now - this.#accountRetentionMs && a.throttledUntil <= now;
    });
    this.#refreshes = new BoundedMap(options.maxUserKeys ?? 200_000, (times, now) => {
      return (times[times.length - 1] ?? 0) <= now - this.#refreshRetentionMs;
    });
  }

  /** Keys held per map, and evictions so far (for metrics and tests). */
  stats(): { ips: number; accounts: number; users: number; blocks: number; evictions: number } {
    return {
      ips: this.#ips.size,
      accounts: this.#accounts.size,
      users: this.#refreshes.size,
      blocks: this.#blocks.size,
      evictions: this.#ips.evictions + this.#accounts.evictions + this.#refreshes.evictions,
    };
  }

  /** Drops every expired key now; returns how many were dropped. */
  sweep(now: number): number {
    return (
      this.#ips.sweep(now) +
      this.#blocks.sweep(now) +
      this.#accounts.sweep(now) +
      this.#refreshes.sweep(now)
    );
  }

  /** See `CounterStore.precheckIp`. */
  async precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    return this.precheckIpSync(input);
  }

  /** Synchronous body of `precheckIp`, for callers that can use it directly. */
  precheckIpSync(input: IpPrecheckInput): IpPrecheckResult {
    const { ipKey, now, bruteForce, botActivity, isExempt } = input;
    this.#noteRetention(Math.max(bruteForce.windowMs, botActivity.windowMs, this.#pendingTtlMs));
    const existing = this.#activeBlock(ipKey, now);
    if (existing !== null && !isExempt) {
      return {
        ...EMPTY_RESULT_FIELDS,
        block: existing,
        isBlockCreated: false,
        isBusy: false,
        monitored: [],
      };
    }
    const bot = readBot(this.#ips.get(ipKey), now - botActivity.windowMs);
    const slots = readSlots(this.#ips.get(ipKey), now - bruteForce.windowMs);
    bot.push(now);
    trimFront(bot, this.#maxEntries, 1);
    const requests = bot.length;
    const monitored: IpRuleName[] = [];
    const base = { requests, failures: 0, pending: 0, reservation: null, isBusy: false };
    if (BOT_OVER.test(requests, botActivity.limit)) {
      if (botActivity.isEnforced && !isExempt) {
        this.#ips.set(ipKey, writeWindows(bot, slots), now);
        const block = this.#createBlock(ipKey, 'bot_activity', botActivity, requests, now);
        return { ...base, block, isBlockCreated: true, monitored };
      }
      monitored.push('bot_activity');
    }
    if (input.account === null) {
      this.#ips.set(ipKey, writeWindows(bot, slots), now);
      return { ...base, block: null, isBlockCreated: false, monitored };
    }
    return this.#reserve(input, bot, slots, base, monitored);
  }

  #reserve(
    input: IpPrecheckInput,
    bot: number[],
    slots: number[],
    base: { requests: number },
    monitored: IpRuleName[],
  ): IpPrecheckResult {
    const { ipKey, now, bruteForce, isExempt } = input;
    const { failures, pending } = countSlots(slots, now, this.#pendingTtlMs);
    const counts = { ...base, failures, pending, isBlockCreated: false, block: null };
    const isEnforced = bruteForce.isEnforced && !isExempt;
    if (BRUTE_BLOCKS.test(failures, bruteForce.limit) && isEnforced) {
      this.#ips.set(ipKey, writeWindows(bot, slots), now);
      const block = this.#createBlock(ipKey, 'brute_force', bruteForce, failures, now);
      return {
        ...counts,
        block,
        isBlockCreated: true,
        reservation: null,
        isBusy: false,
        monitored,
      };
    }
    if (BRUTE_BUSY.test(failures, pending, bruteForce.limit)) {
      if (isEnforced) {
        this.#ips.set(ipKey, writeWindows(bot, slots), now);
        return { ...counts, reservation: null, isBusy: true, monitored };
      }
      monitored.push('brute_force');
    }
    const slotId = this.#nextSlotId++;
    slots.push(now, -slotId, this.#accountNumber(input.account ?? ''));
    trimFront(slots, this.#maxEntries * 3, 3);
    this.#ips.set(ipKey, writeWindows(bot, slots), now);
    return { ...counts, reservation: String(slotId), isBusy: false, monitored };
  }

  /** See `CounterStore.recordIp`. */
  async recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    const { ipKey, now, bruteForce } = input;
    this.#noteRetention(Math.max(bruteForce.windowMs, this.#pendingTtlMs));
    const stored = this.#ips.get(ipKey);
    const bot = readBot(stored, Number.NEGATIVE_INFINITY);
    const slots = readSlots(stored, now - bruteForce.windowMs);
    const slotId = Number(input.reservation ?? '0');
    const index = findSlot(slots, -slotId);
    const account = this.#accountNumber(input.account);
    let cleared = 0;
    if (input.outcome === 'failure') {
      if (index >= 0) {
        slots[index] = now;
        slots[index + 1] = slotId;
      } else {
        slots.push(now, this.#nextSlotId++, account);
        trimFront(slots, this.#maxEntries * 3, 3);
      }
    } else {
      if (index >= 0) slots.splice(index, 3);
      if (input.outcome === 'success')
        cleared = clearAccount(slots, account, now, this.#pendingTtlMs);
    }
    this.#ips.set(ipKey, writeWindows(bot, slots), now);
    const { failures } = countSlots(slots, now, this.#pendingTtlMs);
    const isOver = input.outcome === 'failure' && BRUTE_BLOCKS.test(failures, bruteForce.limit);
    const isEnforced = bruteForce.isEnforced && !input.isExempt;
    let block: BlockRecord | null = null;
    if (isOver && isEnforced && this.#activeBlock(ipKey, now) === null) {
      block = this.#createBlock(ipKey, 'brute_force', bruteForce, failures, now);
    }
    return { failures, block, cleared, isMonitored: isOver && !isEnforced };
  }

  /** See `CounterStore.precheckAccount`. */
  async precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    const state = this.#accounts.get(input.account);
    const isIdle = input.onlyIfThrottled === true && (state?.throttledUntil ?? 0) <= input.now;
    if (state === undefined || isIdle) {
      return { throttledUntil: 0, isKnownIp: false, failures: 0, distinctIps: 0 };
    }
    const cutoff = input.now - input.guard.windowMs;
    const known = state.knownIp.indexOf(input.ipKey);
    const knownAt = known >= 0 ? (state.knownAt[known] ?? 0) : 0;
    const recent = state.failIp.filter((_, i) => (state.failAt[i] ?? 0) > cutoff);
    return {
      throttledUntil: state.throttledUntil > input.now ? state.throttledUntil : 0,
      isKnownIp: known >= 0 && knownAt > input.now - input.knownIpTtlMs,
      failures: recent.length,
      distinctIps: new Set(recent).size,
    };
  }

  /** See `CounterStore.isSurelyUnthrottled`: exact here (no I/O). */
  isSurelyUnthrottled(account: string, now: number): boolean {
    return (this.#accounts.get(account)?.throttledUntil ?? 0) <= now;
  }

  /** See `CounterStore.recordAccount`. */
  async recordAccount(input: AccountRecordInput): Promise<AccountRecordResult> {
    const { now, guard } = input;
    this.#accountRetentionMs = Math.max(this.#accountRetentionMs, input.knownIpTtlMs);
    const state = this.#accounts.get(input.account) ?? newAccountState();
    state.touchedAt = now;
    keepAfter(state.failAt, state.failIp, now - guard.windowMs);
    const result = { throttleStartedUntil: 0, previousLogin: null, distinctDevices: 0 };
    let outcome: AccountRecordResult;
    if (input.outcome === 'failure') {
      state.failAt.push(now);
      state.failIp.push(input.ipKey);
      trimPairs(state.failAt, state.failIp, this.#maxEntries);
      const failures = state.failAt.length;
      const distinctIps = new Set(state.failIp).size;
      let throttleStartedUntil = 0;
      const isOver = GUARD_OVER.test(
        failures,
        distinctIps,
        guard.failureLimit,
        guard.distinctIpLimit,
      );
      if (isOver && state.throttledUntil <= now) {
        throttleStartedUntil = now + guard.throttleMs;
        state.throttledUntil = throttleStartedUntil;
      }
      outcome = { ...result, failures, distinctIps, throttleStartedUntil, isNewDevice: false };
    } else {
      outcome = recordSuccess(state, input);
    }
    this.#accounts.set(input.account, state, now);
    return outcome;
  }

  /** See `CounterStore.countRefresh`. */
  async countRefresh(input: RefreshCountInput): Promise<number> {
    this.#refreshRetentionMs = Math.max(this.#refreshRetentionMs, input.windowMs);
    const cutoff = input.now - input.windowMs;
    const times = (this.#refreshes.get(input.userId) ?? []).filter((t) => t > cutoff);
    times.push(input.now);
    trimFront(times, this.#maxEntries, 1);
    this.#refreshes.set(input.userId, times, input.now);
    return times.length;
  }

  /** See `CounterStore.peekIp`. */
  async peekIp(input: IpPeekInput): Promise<IpCounters> {
    const windows = this.#ips.get(input.ipKey);
    const requests = readBot(windows, input.now - input.botWindowMs).length;
    const slots = readSlots(windows, input.now - input.bruteWindowMs);
    return { requests, ...countSlots(slots, input.now, this.#pendingTtlMs) };
  }

  /** See `CounterStore.getBlock`. */
  async getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    return this.#activeBlock(ipKey, now);
  }

  /** See `CounterStore.listBlocks`. */
  async listBlocks(now: number): Promise<BlockRecord[]> {
    this.#blocks.sweep(now);
    return [...this.#blocks.entries()].map(([, b]) => b).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** See `CounterStore.countBlocks`. */
  async countBlocks(now: number): Promise<number> {
    this.#blocks.sweep(now);
    return this.#blocks.size;
  }

  /** See `CounterStore.setBlock`. */
  async setBlock(input: SetBlockInput): Promise<BlockRecord> {
    const block: BlockRecord = {
      ipKey: input.ipKey,
      rule: input.rule,
      reason: input.reason,
      evidence: input.evidence,
      createdAt: input.now,
      expiresAt: input.now + input.blockMs,
      manual: input.manual,
    };
    this.#blocks.set(input.ipKey, block, input.now);
    return block;
  }

  /** See `CounterStore.unblock`. */
  async unblock(ipKey: string, now: number): Promise<boolean> {
    const wasActive = this.#activeBlock(ipKey, now) !== null;
    this.#blocks.delete(ipKey);
    this.#ips.delete(ipKey);
    this.#reputation.delete(ipKey);
    return wasActive;
  }

  /** See `ReputationStore.addReputation`. */
  async addReputation(input: ReputationInput): Promise<ReputationScore> {
    return this.#reputation.add(input);
  }

  /** See `ReputationStore.getReputation`. */
  async getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    return this.#reputation.get(ipKey, now, halfLifeMs);
  }

  /** See `ReputationStore.isReputationAtLeast`: exact here. */
  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean {
    return this.#reputation.isAtLeast(ipKey, threshold, now);
  }

  /** Always answers: memory cannot be unreachable. */
  async ping(): Promise<void> {}

  #activeBlock(ipKey: string, now: number): BlockRecord | null {
    const block = this.#blocks.get(ipKey);
    if (block === undefined) return null;
    if (block.expiresAt > now) return block;
    this.#blocks.delete(ipKey);
    return null;
  }

  #createBlock(
    ipKey: string,
    rule: IpRuleName,
    limits: IpRuleLimits,
    count: number,
    now: number,
  ): BlockRecord {
    const block = ruleBlock(ipKey, rule, BLOCK_REASONS[rule], limits, count, now);
    this.#blocks.set(ipKey, block, now);
    return block;
  }

  #noteRetention(windowMs: number): void {
    if (windowMs > this.#retentionMs) this.#retentionMs = windowMs;
  }

  #accountNumber(account: string): number {
    return hashToNumber(account, this.#seed);
  }
}
