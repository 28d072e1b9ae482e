import { randomInt } from 'node:crypto';
import { BoundedMap } from './bounded-map.ts';
import type {
  AccountPrecheckInput,
  AccountPrecheckResult,
  AccountRecordInput,
  AccountRecordResult,
  BlockRecord,
  CounterStore,
  IpPrecheckInput,
  IpPrecheckResult,
  IpRecordInput,
  IpRecordResult,
  IpRuleLimits,
  IpRuleName,
  LastLogin,
  RefreshCountInput,
  SetBlockInput,
} from './counter-store.ts';
import { DEFAULT_PENDING_TTL_MS } from './counter-store.ts';
import { hashToNumber } from './keyed-hash.ts';

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

/** Block reasons by rule, shown to admins. */
export const BLOCK_REASONS: Readonly<Record<IpRuleName, string>> = {
  brute_force: 'Too many failed logins',
  bot_activity: 'Too many credential requests',
};

// One IP's windows in one flat double array (compact: ~8 bytes per number):
// [botCount, ...botTimestamps, ...(timestamp, slotId, accountNumber) triples].
// slotId > 0: recorded failure; slotId < 0: pending reservation -slotId.
type IpWindows = number[];

interface AccountState {
  failAt: number[];
  failIp: string[];
  knownIp: string[];
  knownAt: number[];
  deviceId: string[];
  deviceAt: number[];
  last: LastLogin | null;
  throttledUntil: number;
  touchedAt: number;
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
    const slots = this.#readSlots(this.#ips.get(ipKey), now - bruteForce.windowMs);
    bot.push(now);
    trimFront(bot, this.#maxEntries, 1);
    const requests = bot.length;
    const monitored: IpRuleName[] = [];
    const base = { requests, failures: 0, pending: 0, reservation: null, isBusy: false };
    if (requests > botActivity.limit) {
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
    const { failures, pending } = this.#countSlots(slots, now);
    const counts = { ...base, failures, pending, isBlockCreated: false, block: null };
    const isEnforced = bruteForce.isEnforced && !isExempt;
    if (failures >= bruteForce.limit && isEnforced) {
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
    if (failures + pending >= bruteForce.limit) {
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
    const slots = this.#readSlots(stored, now - bruteForce.windowMs);
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
      if (input.outcome === 'success') cleared = this.#clearAccount(slots, account, now);
    }
    this.#ips.set(ipKey, writeWindows(bot, slots), now);
    const { failures } = this.#countSlots(slots, now);
    const isOver = input.outcome === 'failure' && failures >= bruteForce.limit;
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
      const isOver = failures >= guard.failureLimit && distinctIps >= guard.distinctIpLimit;
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
    return wasActive;
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
    const block: BlockRecord = {
      ipKey,
      rule,
      reason: BLOCK_REASONS[rule],
      evidence: { count, limit: limits.limit, windowMs: limits.windowMs },
      createdAt: now,
      expiresAt: now + limits.blockMs,
      manual: false,
    };
    this.#blocks.set(ipKey, block, now);
    return block;
  }

  #noteRetention(windowMs: number): void {
    if (windowMs > this.#retentionMs) this.#retentionMs = windowMs;
  }

  #accountNumber(account: string): number {
    return hashToNumber(account, this.#seed);
  }

  #readSlots(windows: IpWindows | undefined, cutoff: number): number[] {
    const slots: number[] = [];
    if (windows === undefined) return slots;
    for (let i = 1 + (windows[0] ?? 0); i + 2 < windows.length; i += 3) {
      const at = windows[i] ?? 0;
      if (at > cutoff) slots.push(at, windows[i + 1] ?? 0, windows[i + 2] ?? 0);
    }
    return slots;
  }

  #countSlots(slots: number[], now: number): { failures: number; pending: number } {
    let failures = 0;
    let pending = 0;
    for (let i = 0; i < slots.length; i += 3) {
      if (isFailure(slots[i] ?? 0, slots[i + 1] ?? 0, now, this.#pendingTtlMs)) failures += 1;
      else pending += 1;
    }
    return { failures, pending };
  }

  #clearAccount(slots: number[], account: number, now: number): number {
    let cleared = 0;
    for (let i = slots.length - 3; i >= 0; i -= 3) {
      const isMine = slots[i + 2] === account;
      if (isMine && isFailure(slots[i] ?? 0, slots[i + 1] ?? 0, now, this.#pendingTtlMs)) {
        slots.splice(i, 3);
        cleared += 1;
      }
    }
    return cleared;
  }
}

function isFailure(at: number, slotId: number, now: number, pendingTtlMs: number): boolean {
  return slotId > 0 || at <= now - pendingTtlMs;
}

function findSlot(slots: number[], slotId: number): number {
  if (slotId === 0) return -1;
  for (let i = 0; i < slots.length; i += 3) if (slots[i + 1] === slotId) return i;
  return -1;
}

function readBot(windows: IpWindows | undefined, cutoff: number): number[] {
  const bot: number[] = [];
  if (windows === undefined) return bot;
  const count = windows[0] ?? 0;
  for (let i = 1; i <= count; i += 1) {
    const at = windows[i] ?? 0;
    if (at > cutoff) bot.push(at);
  }
  return bot;
}

function writeWindows(bot: number[], slots: number[]): IpWindows {
  // Exact-length array: push() would over-allocate capacity for a million keys.
  const out = new Array<number>(1 + bot.length + slots.length);
  out[0] = bot.length;
  for (let i = 0; i < bot.length; i += 1) out[1 + i] = bot[i] ?? 0;
  for (let i = 0; i < slots.length; i += 1) out[1 + bot.length + i] = slots[i] ?? 0;
  return out;
}

function newestTimestamp(windows: IpWindows): number {
  let newest = 0;
  const count = windows[0] ?? 0;
  for (let i = 1; i <= count; i += 1) newest = Math.max(newest, windows[i] ?? 0);
  for (let i = 1 + count; i < windows.length; i += 3) newest = Math.max(newest, windows[i] ?? 0);
  return newest;
}

function trimFront(values: number[], max: number, stride: number): void {
  if (values.length > max) values.splice(0, values.length - Math.floor(max / stride) * stride);
}

function keepAfter(times: number[], values: string[], cutoff: number): void {
  let drop = 0;
  while (drop < times.length && (times[drop] ?? 0) <= cutoff) drop += 1;
  times.splice(0, drop);
  values.splice(0, drop);
}

function trimPairs(times: number[], values: string[], max: number): void {
  if (times.length <= max) return;
  times.splice(0, times.length - max);
  values.splice(0, values.length - max);
}

function newAccountState(): AccountState {
  return {
    failAt: [],
    failIp: [],
    knownIp: [],
    knownAt: [],
    deviceId: [],
    deviceAt: [],
    last: null,
    throttledUntil: 0,
    touchedAt: 0,
  };
}

function recordSuccess(state: AccountState, input: AccountRecordInput): AccountRecordResult {
  const { now } = input;
  upsertRecent(state.knownIp, state.knownAt, input.ipKey, now, now - input.knownIpTtlMs);
  trimPairs(state.knownAt, state.knownIp, input.knownIpMax);
  let isNewDevice = false;
  let distinctDevices = 0;
  if (input.deviceId !== null) {
    const cutoff = now - input.devicesWindowMs;
    const seen = state.deviceId.indexOf(input.deviceId);
    isNewDevice = seen < 0 || (state.deviceAt[seen] ?? 0) <= cutoff;
    upsertRecent(state.deviceId, state.deviceAt, input.deviceId, now, cutoff);
    trimPairs(state.deviceAt, state.deviceId, input.knownIpMax);
    distinctDevices = state.deviceId.length;
  }
  const previousLogin = state.last;
  state.last = { ip: input.ip, ipKey: input.ipKey, at: now };
  return {
    failures: state.failAt.length,
    distinctIps: new Set(state.failIp).size,
    throttleStartedUntil: 0,
    previousLogin,
    distinctDevices,
    isNewDevice,
  };
}

/** Keeps (value, time) pairs newer than `cutoff`, with `value` moved to the end at `now`. */
function upsertRecent(
  values: string[],
  times: number[],
  value: string,
  now: number,
  cutoff: number,
): void {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    if (values[i] === value || (times[i] ?? 0) <= cutoff) {
      values.splice(i, 1);
      times.splice(i, 1);
    }
  }
  values.push(value);
  times.push(now);
}
