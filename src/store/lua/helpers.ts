import { STALE_PENDING } from '../rule-thresholds.ts';

/**
 * Shared parts of the Lua scripts of `RedisCounterStore` (one file per script beside this one).
 * Each script is one operation, one round trip, atomic.
 * Every KEYS entry of a script shares one hash tag (`{ip:…}`, `{acct:…}` or `{user:…}`),
 * so each script touches one Redis Cluster slot. Time always comes from ARGV (`now`,
 * epoch ms), never from Redis TIME, so fake clocks work; key TTLs only reclaim memory.
 */

// Shared helpers of the IP scripts. An IP's whole state is ONE string (`fa:{ip:…}:s`),
// `<bot>|<slots>|<block>`:
//   bot    bot window: sorted fixed-width (13 digit) request timestamps, binary-searched
//   slots  failure slots `<state><at>,<id>,<account>;` in insertion order; state 0 = pending
//          reservation, 1 = failure (a pending one older than the pending TTL counts as one)
//   block  active block, a cjson array {rule, reason, createdAt, expiresAt, manual, count,
//          limit, windowMs}, or empty; expiry is logical (`expiresAt` vs `now`)
// so a precheck is GET + SET PX: two calls on one key, whatever the rules (one SET NX GET
// for a fresh IP on Redis 7.0+).
export const IP_HELPERS = `
local function split(raw)
  if not raw then return '', false, false end
  local a = string.find(raw, '|', 1, true)
  local b = string.find(raw, '|', a + 1, true)
  local slots, blk = string.sub(raw, a + 1, b - 1), string.sub(raw, b + 1)
  return string.sub(raw, 1, a - 1), slots ~= '' and slots, blk ~= '' and blk
end
local function join(bot, slots, blk) return bot .. '|' .. (slots or '') .. '|' .. (blk or '') end
local function readBlock(raw, now)
  if not raw then return false end
  local b = cjson.decode(raw)
  if tonumber(b[4]) > now then return b end
  return false
end
local function newBlock(now, rule, reason, count, limit, windowMs, blockMs, manual)
  return {rule, reason, now, now + tonumber(blockMs), manual, tonumber(count), tonumber(limit),
    tonumber(windowMs)}
end
-- Slots are \`<state><at>,<id>,<account>;\` (the caller escapes ',' and ';' out of ids and
-- accounts). Returns the slots in the failure window with stale reservations settled as
-- failures, the failure and pending counts, and whether anything changed.
local function readSlots(raw, now, window, pendingTtl)
  local kept, failures, pending, changed = {}, 0, 0, false
  if not raw then return kept, 0, 0, false end
  for st, at, id, acct in string.gmatch(raw, '(%d)(%d+),([^,;]*),([^;]*);') do
    at = tonumber(at)
    if at > now - window then
      if st == '0' and ${STALE_PENDING.lua('at', 'now', 'pendingTtl')} then
        st = '1'
        changed = true
      end
      if st == '1' then failures = failures + 1 else pending = pending + 1 end
      kept[#kept + 1] = {st, at, id, acct}
    else
      changed = true
    end
  end
  return kept, failures, pending, changed
end
local function slot(st, at, id, acct) return st .. tostring(at) .. ',' .. id .. ',' .. acct .. ';' end
local function encodeSlots(slots, max)
  local out, from = {}, 1
  if #slots > max then from = #slots - max + 1 end
  for i = from, #slots do
    local s = slots[i]
    out[#out + 1] = slot(s[1], s[2], s[3], s[4])
  end
  if #out == 0 then return false end
  return table.concat(out)
end
`;

/** A finite number as a Lua literal. */
export function luaNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Not a finite number: ${value}`);
  return String(value);
}

/** A Lua string literal (decimal escapes for quotes, backslashes and control characters). */
export function luaString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point.
  return `'${value.replace(/[\\'\u0000-\u001f\u007f]/g, (ch) => `\\${String(ch.charCodeAt(0)).padStart(3, '0')}`)}'`;
}

/** Lua: `t`, the fixed-width (13 digit) stamp of `now` that bot-window entries are made of. */
export const LUA_STAMP_NOW = `local t = tostring(now)
if #t ~= 13 then t = string.format('%013d', now) end`;

/** Lua: `botRaw`, `sltRaw`, `blkRaw`, the three parts of the state string `raw` ('' when none). */
export const LUA_SPLIT_STATE = `local botRaw, sltRaw, blkRaw = '', '', ''
if raw then
  local a = string.find(raw, '|', 1, true)
  local b = string.find(raw, '|', a + 1, true)
  botRaw, sltRaw, blkRaw = string.sub(raw, 1, a - 1), string.sub(raw, a + 1, b - 1),
    string.sub(raw, b + 1)
end`;

/**
 * Lua table literal of a block created at `now` by a rule (the field order of `newBlock` in
 * `IP_HELPERS`); `countVar` names the Lua variable holding the count.
 */
export function luaBlockLiteral(
  rule: string,
  reason: string,
  countVar: string,
  limit: number,
  windowMs: number,
  blockMs: number,
): string {
  const n = luaNumber;
  return `{${luaString(rule)}, ${luaString(reason)}, now, now + ${n(blockMs)}, '0', ${countVar}, ${n(limit)}, ${n(windowMs)}}`;
}
