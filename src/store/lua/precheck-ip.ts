import { BOT_OVER, BRUTE_BLOCKS, BRUTE_BUSY, STALE_PENDING } from '../rule-thresholds.ts';
import { LUA_SPLIT_STATE, LUA_STAMP_NOW, luaBlockLiteral, luaNumber } from './helpers.ts';

/** The numbers `precheckIpScript` bakes into its script text. */
export interface PrecheckIpConfig {
  readonly botLimit: number;
  readonly botWindowMs: number;
  readonly botBlockMs: number;
  readonly botEnforced: boolean;
  readonly bruteLimit: number;
  readonly bruteWindowMs: number;
  readonly bruteBlockMs: number;
  readonly bruteEnforced: boolean;
  readonly pendingTtlMs: number;
  /** At most 65,535: the integer reply packs three counts in 16 bits each. */
  readonly maxEntries: number;
  readonly botReason: string;
  readonly bruteReason: string;
  /**
   * Redis 7.0+: a fresh IP is written by one `SET … NX GET` that also reads an existing
   * state (one call instead of GET + SET). False: GET first (any Redis version).
   */
  readonly setNxGet: boolean;
}

/** Radix of the counts packed into the integer reply of the precheck script. */
export const PRECHECK_COUNT_RADIX = 65_536;

/**
 * Login/signup precheck for one IP, with the rule limits, reasons and store constants
 * written into the script text (one script per distinct policy: a policy reload loads
 * one more), so a call carries four arguments and creates no closures. Same state string
 * and semantics as `IP_HELPERS`; the hot path is written inline, with the shared fragments
 * of `helpers.ts`.
 * KEYS[1] the IP key. ARGV[1] now ms, ARGV[2] reservation id ('' = signup: no slot),
 * ARGV[3] account (slot-escaped), ARGV[4] exempt (1|0).
 * Returns, for ok | reserved | busy, one integer:
 *   status (0 ok, 1 reserved, 2 busy) + 4 * monitoredBot + 8 * monitoredBrute
 *   + 16 * (requests + R * (failures + R * pending)), R = PRECHECK_COUNT_RADIX,
 * and for blocked | created the array {status, requests, failures, pending, monitoredBot,
 * monitoredBrute, ...block}.
 */
export function precheckIpScript(c: PrecheckIpConfig): string {
  const n = luaNumber;
  const keep = Math.max(c.botWindowMs, c.bruteWindowMs, c.pendingTtlMs);
  const R = PRECHECK_COUNT_RADIX;
  // A fresh IP (no key) is one request, no failure, no block, whenever every limit is at
  // least 1: written and answered without parsing anything. With NX GET the write of the
  // fresh state doubles as the read: it returns the existing state and writes nothing.
  const isFreshShortcut = c.botLimit >= 1 && c.bruteLimit >= 1 && c.maxEntries >= 1;
  const freshState = `id == '' and t .. '||' or t .. '|0' .. t .. ',' .. id .. ',' .. ARGV[3] .. ';|'`;
  const read =
    isFreshShortcut && c.setNxGet
      ? `local raw = redis.call('SET', KEYS[1], ${freshState}, 'PX', ${n(keep)}, 'NX', 'GET')
if not raw then return id == '' and 16 or 17 end`
      : isFreshShortcut
        ? `local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], ${freshState}, 'PX', ${n(keep)})
  return id == '' and 16 or 17
end`
        : `local raw = redis.call('GET', KEYS[1])`;
  return `local now = tonumber(ARGV[1])
local id = ARGV[2]
${LUA_STAMP_NOW}
${read}
local exempt = ARGV[4] == '1'
${LUA_SPLIT_STATE}
local block = false
if blkRaw ~= '' then
  block = cjson.decode(blkRaw)
  if tonumber(block[4]) <= now then
    block = false
    blkRaw = ''
  end
end
if block and not exempt then return {'blocked', 0, 0, 0, 0, 0, unpack(block)} end
local keep = ${n(keep)}
if block then keep = math.max(keep, block[4] - now) end
-- Bot window: sorted 13-digit stamps; drop those at or before the cutoff, insert now in
-- order, keep the newest ${n(c.maxEntries)}.
local s, count = botRaw, #botRaw / 13
if count > 0 then
  local cutoff, lo, hi = now - ${n(c.botWindowMs)}, 1, count + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if tonumber(string.sub(s, mid * 13 - 12, mid * 13)) > cutoff then hi = mid else lo = mid + 1 end
  end
  if lo > 1 then
    s = string.sub(s, lo * 13 - 12)
    count = count - lo + 1
  end
end
if count > 0 and tonumber(string.sub(s, count * 13 - 12)) > now then
  local lo, hi = 1, count + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if tonumber(string.sub(s, mid * 13 - 12, mid * 13)) > now then hi = mid else lo = mid + 1 end
  end
  s = string.sub(s, 1, lo * 13 - 13) .. t .. string.sub(s, lo * 13 - 12)
else
  s = s .. t
end
count = count + 1
if count > ${n(c.maxEntries)} then
  s = string.sub(s, (count - ${n(c.maxEntries)}) * 13 + 1)
  count = ${n(c.maxEntries)}
end
local requests, monBot = count, 0
if ${BOT_OVER.lua('requests', n(c.botLimit))} then
  if ${c.botEnforced} and not exempt then
    local b = ${luaBlockLiteral('bot_activity', c.botReason, 'requests', c.botLimit, c.botWindowMs, c.botBlockMs)}
    redis.call('SET', KEYS[1], s .. '|' .. sltRaw .. '|' .. cjson.encode(b), 'PX',
      math.max(keep, ${n(c.botBlockMs)}))
    return {'created', requests, 0, 0, 0, 0, unpack(b)}
  end
  monBot = 1
end
if id == '' then
  redis.call('SET', KEYS[1], s .. '|' .. sltRaw .. '|' .. blkRaw, 'PX', keep)
  return monBot * 4 + 16 * requests
end
-- Failure slots \`<state><at>,<id>,<account>;\` in the window; a pending reservation older
-- than the pending TTL counts as a failure.
local parts, k, failures, pending, changed = {}, 0, 0, 0, false
local oldest = now - ${n(c.bruteWindowMs)}
for st, at, sid, sacct in string.gmatch(sltRaw, '(%d)(%d+),([^,;]*),([^;]*);') do
  local ms = tonumber(at)
  if ms > oldest then
    if st == '0' and ${STALE_PENDING.lua('ms', 'now', n(c.pendingTtlMs))} then
      st = '1'
      changed = true
    end
    if st == '1' then failures = failures + 1 else pending = pending + 1 end
    k = k + 1
    parts[k] = st .. at .. ',' .. sid .. ',' .. sacct .. ';'
  else
    changed = true
  end
end
local enforced = ${c.bruteEnforced} and not exempt
if ${BRUTE_BLOCKS.lua('failures', n(c.bruteLimit))} and enforced then
  local b = ${luaBlockLiteral('brute_force', c.bruteReason, 'failures', c.bruteLimit, c.bruteWindowMs, c.bruteBlockMs)}
  redis.call('SET', KEYS[1], s .. '|' .. sltRaw .. '|' .. cjson.encode(b), 'PX',
    math.max(keep, ${n(c.bruteBlockMs)}))
  return {'created', requests, failures, pending, monBot, 0, unpack(b)}
end
local status, monBrute = 1, 0
if ${BRUTE_BUSY.lua('failures', 'pending', n(c.bruteLimit))} then
  if enforced then status = 2 else monBrute = 1 end
end
local slots
if status == 1 and not changed and k < ${n(c.maxEntries)} then
  slots = sltRaw .. '0' .. t .. ',' .. id .. ',' .. ARGV[3] .. ';'
else
  if status == 1 then
    k = k + 1
    parts[k] = '0' .. t .. ',' .. id .. ',' .. ARGV[3] .. ';'
  end
  local from = 1
  if k > ${n(c.maxEntries)} then from = k - ${n(c.maxEntries)} + 1 end
  slots = table.concat(parts, '', from, k)
end
redis.call('SET', KEYS[1], s .. '|' .. slots .. '|' .. blkRaw, 'PX', keep)
return status + monBot * 4 + monBrute * 8 + 16 * (requests + ${R} * (failures + ${R} * pending))
`;
}
