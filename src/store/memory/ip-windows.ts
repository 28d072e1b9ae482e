import type { BlockRecord, IpRuleLimits } from '../counter-store.ts';
import { STALE_PENDING } from '../rule-thresholds.ts';

// One IP's windows in one flat double array (compact: ~8 bytes per number):
// [botCount, ...botTimestamps, ...(timestamp, slotId, accountNumber) triples].
// slotId > 0: recorded failure; slotId < 0: pending reservation -slotId.
export type IpWindows = number[];

/** A slot (at, id) counts as a failure: recorded, or a reservation gone stale. */
export function isFailure(at: number, slotId: number, now: number, pendingTtlMs: number): boolean {
  return slotId > 0 || STALE_PENDING.test(at, now, pendingTtlMs);
}

export function findSlot(slots: number[], slotId: number): number {
  if (slotId === 0) return -1;
  for (let i = 0; i < slots.length; i += 3) if (slots[i + 1] === slotId) return i;
  return -1;
}

export function readBot(windows: IpWindows | undefined, cutoff: number): number[] {
  const bot: number[] = [];
  if (windows === undefined) return bot;
  const count = windows[0] ?? 0;
  for (let i = 1; i <= count; i += 1) {
    const at = windows[i] ?? 0;
    if (at > cutoff) bot.push(at);
  }
  return bot;
}

export function writeWindows(bot: number[], slots: number[]): IpWindows {
  // Exact-length array: push() would over-allocate capacity for a million keys.
  const out = new Array<number>(1 + bot.length + slots.length);
  out[0] = bot.length;
  for (let i = 0; i < bot.length; i += 1) out[1 + i] = bot[i] ?? 0;
  for (let i = 0; i < slots.length; i += 1) out[1 + bot.length + i] = slots[i] ?? 0;
  return out;
}

export function newestTimestamp(windows: IpWindows): number {
  let newest = 0;
  const count = windows[0] ?? 0;
  for (let i = 1; i <= count; i += 1) newest = Math.max(newest, windows[i] ?? 0);
  for (let i = 1 + count; i < windows.length; i += 3) newest = Math.max(newest, windows[i] ?? 0);
  return newest;
}

export function trimFront(values: number[], max: number, stride: number): void {
  if (values.length > max) values.splice(0, values.length - Math.floor(max / stride) * stride);
}

/** The failure slots (at, id, account) of an IP newer than `cutoff`. */
export function readSlots(windows: IpWindows | undefined, cutoff: number): number[] {
  const slots: number[] = [];
  if (windows === undefined) return slots;
  for (let i = 1 + (windows[0] ?? 0); i + 2 < windows.length; i += 3) {
    const at = windows[i] ?? 0;
    if (at > cutoff) slots.push(at, windows[i + 1] ?? 0, windows[i + 2] ?? 0);
  }
  return slots;
}

/** Failures (stale reservations included) and pending reservations among the slots. */
export function countSlots(
  slots: number[],
  now: number,
  pendingTtlMs: number,
): { failures: number; pending: number } {
  let failures = 0;
  let pending = 0;
  for (let i = 0; i < slots.length; i += 3) {
    if (isFailure(slots[i] ?? 0, slots[i + 1] ?? 0, now, pendingTtlMs)) failures += 1;
    else pending += 1;
  }
  return { failures, pending };
}

/** Removes one account's failures (a success); returns how many. */
export function clearAccount(
  slots: number[],
  account: number,
  now: number,
  pendingTtlMs: number,
): number {
  let cleared = 0;
  for (let i = slots.length - 3; i >= 0; i -= 3) {
    const isMine = slots[i + 2] === account;
    if (isMine && isFailure(slots[i] ?? 0, slots[i + 1] ?? 0, now, pendingTtlMs)) {
      slots.splice(i, 3);
      cleared += 1;
    }
  }
  return cleared;
}

/** A block a rule creates at `now` from its limits and the count that reached them. */
export function ruleBlock(
  ipKey: string,
  rule: string,
  reason: string,
  limits: IpRuleLimits,
  count: number,
  now: number,
): BlockRecord {
  return {
    ipKey,
    rule,
    reason,
    evidence: { count, limit: limits.limit, windowMs: limits.windowMs },
    createdAt: now,
    expiresAt: now + limits.blockMs,
    manual: false,
  };
}
