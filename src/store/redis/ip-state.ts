import type { BlockRecord, IpCounters } from '../counter-store.ts';
import { STALE_PENDING } from '../rule-thresholds.ts';
import { asArray, decodeBlock } from './replies.ts';

/**
 * The active block in an IP's state string `<bot>|<slots>|<block json>` (see `IP_HELPERS`):
 * the block is everything after the second '|'. Null when none, or expired at `now`.
 */
export function blockOfState(ipKey: string, raw: string | null, now: number): BlockRecord | null {
  const at = raw === null ? -1 : raw.indexOf('|', raw.indexOf('|') + 1);
  const json = raw === null || at < 0 ? '' : raw.slice(at + 1);
  const block = json === '' ? null : decodeBlock(ipKey, asArray(JSON.parse(json)), 0);
  return block !== null && block.expiresAt > now ? block : null;
}

const SLOT = /(\d)(\d+),([^,;]*),([^;]*);/g;

/**
 * The counters in an IP's state string (see `IP_HELPERS`): bot stamps (13 digits each) after
 * the bot window's start; failure slots after the failure window's start, a stale pending one
 * counting as a failure.
 */
export function countersOfState(
  raw: string | null,
  now: number,
  windows: { botWindowMs: number; bruteWindowMs: number; pendingTtlMs: number },
): IpCounters {
  if (raw === null) return { requests: 0, failures: 0, pending: 0 };
  const [bot = '', slots = ''] = raw.split('|');
  let requests = 0;
  for (let i = 0; i + 13 <= bot.length; i += 13) {
    if (Number(bot.slice(i, i + 13)) > now - windows.botWindowMs) requests += 1;
  }
  let failures = 0;
  let pending = 0;
  for (const [, st, at] of slots.matchAll(SLOT)) {
    const ms = Number(at);
    if (ms <= now - windows.bruteWindowMs) continue;
    if (st === '1' || STALE_PENDING.test(ms, now, windows.pendingTtlMs)) failures += 1;
    else pending += 1;
  }
  return { requests, failures, pending };
}
