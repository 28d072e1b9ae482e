/**
 * Lua scripts of `RedisCounterStore`: one script per operation, one round trip, atomic.
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
const IP_HELPERS = `
local W = 13
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
local function ts(s, i) return tonumber(string.sub(s, (i - 1) * W + 1, i * W)) end
local function stamp(now)
  local t = tostring(now)
  if #t ~= W then t = string.format('%013d', now) end
  return t
end
-- First entry (1-based) of the sorted log \`s\` (n entries) whose time is above \`t\`.
local function firstAbove(s, n, t)
  local lo, hi = 1, n + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if ts(s, mid) > t then hi = mid else lo = mid + 1 end
  end
  return lo
end
-- Bot window: drop entries at or before the cutoff, insert now in order, keep the newest max.
local function countRequest(s, cutoff, now, max)
  local n = #s / W
  if n > 0 then
    local i = firstAbove(s, n, cutoff)
    if i > 1 then s = string.sub(s, (i - 1) * W + 1) end
    n = #s / W
  end
  local at = n + 1
  if n > 0 and ts(s, n) > now then at = firstAbove(s, n, now) end
  if at > n then s = s .. stamp(now)
  else s = string.sub(s, 1, (at - 1) * W) .. stamp(now) .. string.sub(s, (at - 1) * W + 1) end
  n = n + 1
  if n > max then
    s = string.sub(s, (n - max) * W + 1)
    n = max
  end
  return s, n
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
      if st == '0' and at <= now - pendingTtl then
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
 * and semantics as the helpers above; helpers are inlined.
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
local t = tostring(now)
if #t ~= 13 then t = string.format('%013d', now) end
${read}
local exempt = ARGV[4] == '1'
local botRaw, sltRaw, blkRaw = '', '', ''
if raw then
  local a = string.find(raw, '|', 1, true)
  local b = string.find(raw, '|', a + 1, true)
  botRaw, sltRaw, blkRaw = string.sub(raw, 1, a - 1), string.sub(raw, a + 1, b - 1),
    string.sub(raw, b + 1)
end
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
if requests > ${n(c.botLimit)} then
  if ${c.botEnforced} and not exempt then
    local b = {'bot_activity', ${luaString(c.botReason)}, now, now + ${n(c.botBlockMs)}, '0', requests,
      ${n(c.botLimit)}, ${n(c.botWindowMs)}}
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
local oldest, stale = now - ${n(c.bruteWindowMs)}, now - ${n(c.pendingTtlMs)}
for st, at, sid, sacct in string.gmatch(sltRaw, '(%d)(%d+),([^,;]*),([^;]*);') do
  local ms = tonumber(at)
  if ms > oldest then
    if st == '0' and ms <= stale then
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
if failures >= ${n(c.bruteLimit)} and enforced then
  local b = {'brute_force', ${luaString(c.bruteReason)}, now, now + ${n(c.bruteBlockMs)}, '0', failures,
    ${n(c.bruteLimit)}, ${n(c.bruteWindowMs)}}
  redis.call('SET', KEYS[1], s .. '|' .. sltRaw .. '|' .. cjson.encode(b), 'PX',
    math.max(keep, ${n(c.bruteBlockMs)}))
  return {'created', requests, failures, pending, monBot, 0, unpack(b)}
end
local status, monBrute = 1, 0
if failures + pending >= ${n(c.bruteLimit)} then
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

/** A finite number as a Lua literal. */
function luaNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Not a finite number: ${value}`);
  return String(value);
}

/** A Lua string literal (decimal escapes for quotes, backslashes and control characters). */
function luaString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point.
  return `'${value.replace(/[\\'\u0000-\u001f\u007f]/g, (ch) => `\\${String(ch.charCodeAt(0)).padStart(3, '0')}`)}'`;
}

/**
 * Settles a login reservation. KEYS[1] the IP key.
 * ARGV[1] now ms, ARGV[2] reservation id ('' = none), ARGV[3] failure|success|release,
 * ARGV[4] account, ARGV[5] id of a failure recorded without reservation,
 * ARGV[6..9] limit, windowMs, blockMs, enforced (1|0), ARGV[10] exempt (1|0),
 * ARGV[11] pending TTL ms, ARGV[12] max entries, ARGV[13] brute-force reason.
 * Returns {failures, cleared, monitored, ...block when created}.
 */
export const RECORD_IP = `${IP_HELPERS}
local now = tonumber(ARGV[1])
local limit, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local raw = redis.call('GET', KEYS[1])
local botRaw, sltRaw, blkRaw = split(raw)
local slots = readSlots(sltRaw, now, window, tonumber(ARGV[11]))
local id, account = ARGV[2], ARGV[4]
local found = 0
if id ~= '' then
  for i, s in ipairs(slots) do
    if s[3] == id then found = i break end
  end
end
local cleared = 0
if ARGV[3] == 'failure' then
  if found > 0 then
    slots[found][1] = '1'
    slots[found][2] = now
  else
    slots[#slots + 1] = {'1', now, ARGV[5], account}
  end
else
  if found > 0 then table.remove(slots, found) end
  if ARGV[3] == 'success' then
    -- Only this account's failures: an attacker cannot reset the IP with their own account.
    local kept = {}
    for _, s in ipairs(slots) do
      if s[4] == account and s[1] == '1' then cleared = cleared + 1 else kept[#kept + 1] = s end
    end
    slots = kept
  end
end
local encoded = encodeSlots(slots, tonumber(ARGV[12]))
local failures = 0
if encoded then
  for i = math.max(1, #slots - tonumber(ARGV[12]) + 1), #slots do
    if slots[i][1] == '1' then failures = failures + 1 end
  end
end
local over = ARGV[3] == 'failure' and failures >= limit
local enforced = ARGV[9] == '1' and ARGV[10] ~= '1'
local created = false
local active = readBlock(blkRaw, now)
if not active then blkRaw = false end
if over and enforced and not active then
  created = newBlock(now, 'brute_force', ARGV[13], failures, limit, window, ARGV[8], '0')
  blkRaw = cjson.encode(created)
end
if not encoded and not blkRaw and botRaw == '' then
  if raw then redis.call('DEL', KEYS[1]) end
else
  local keep = math.max(redis.call('PTTL', KEYS[1]), window)
  if created then keep = math.max(keep, tonumber(ARGV[8])) end
  redis.call('SET', KEYS[1], join(botRaw, encoded, blkRaw), 'PX', keep)
end
if created then return {failures, cleared, 0, unpack(created)} end
if over and enforced then return {failures, cleared, 0} end
return {failures, cleared, over and 1 or 0}
`;

/**
 * Sets (replaces) a block. KEYS[1] the IP key.
 * ARGV[1] now ms, ARGV[2] rule, ARGV[3] reason, ARGV[4] count, ARGV[5] limit,
 * ARGV[6] windowMs, ARGV[7] blockMs, ARGV[8] manual (1|0). Returns the block fields.
 */
export const SET_BLOCK = `${IP_HELPERS}
local b = newBlock(tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7],
  ARGV[8])
local botRaw, sltRaw = split(redis.call('GET', KEYS[1]))
local keep = math.max(redis.call('PTTL', KEYS[1]), tonumber(ARGV[7]))
redis.call('SET', KEYS[1], join(botRaw, sltRaw, cjson.encode(b)), 'PX', keep)
return b
`;

/**
 * Lifts a block and clears the IP's windows (the whole string). KEYS[1] the IP key.
 * ARGV[1] now ms. Returns 1 when a block was active.
 */
export const UNBLOCK = `${IP_HELPERS}
local _, _, blkRaw = split(redis.call('GET', KEYS[1]))
local active = readBlock(blkRaw, tonumber(ARGV[1]))
redis.call('DEL', KEYS[1])
if active then return 1 end
return 0
`;

/**
 * Reads an account's guard state (read only).
 * KEYS[1] throttle string (value: end ms), KEYS[2] known IPs zset (member ipKey, score ms),
 * KEYS[3] failure zset (member `ipKey|id`), KEYS[4] failing IPs zset (member ipKey).
 * ARGV[1] now ms, ARGV[2] ipKey, ARGV[3] guard windowMs, ARGV[4] known-IP TTL ms.
 * Returns {throttledUntil, isKnown (1|0), failures, distinctIps}.
 */
export const PRECHECK_ACCOUNT = `
local now = tonumber(ARGV[1])
local cutoff = '(' .. tostring(now - tonumber(ARGV[3]))
local untilMs = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs <= now then untilMs = 0 end
local seen = redis.call('ZSCORE', KEYS[2], ARGV[2])
local known = 0
if seen and tonumber(seen) > now - tonumber(ARGV[4]) then known = 1 end
return {untilMs, known, redis.call('ZCOUNT', KEYS[3], cutoff, '+inf'),
  redis.call('ZCOUNT', KEYS[4], cutoff, '+inf')}
`;

/**
 * Records a login outcome on an account.
 * KEYS[1] throttle string, KEYS[2] known IPs zset, KEYS[3] failure zset,
 * KEYS[4] failing IPs zset, KEYS[5] devices zset (member device id), KEYS[6] last-login hash.
 * ARGV[1] now ms, ARGV[2] failure|success, ARGV[3] ipKey, ARGV[4] raw ip, ARGV[5] device id
 * ('' none), ARGV[6] failure limit, ARGV[7] distinct-IP limit, ARGV[8] guard windowMs,
 * ARGV[9] throttle ms, ARGV[10] known-IP TTL ms, ARGV[11] known-IP max, ARGV[12] devices
 * windowMs, ARGV[13] unique failure id, ARGV[14] max entries.
 * Returns {failures, distinctIps, throttleStartedUntil, prevIp, prevIpKey, prevAt,
 * distinctDevices, isNewDevice}.
 */
export const RECORD_ACCOUNT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[8])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
if ARGV[2] == 'failure' then
  redis.call('ZADD', KEYS[3], now, ARGV[3] .. '|' .. ARGV[13])
  redis.call('ZADD', KEYS[4], now, ARGV[3])
  local size = redis.call('ZCARD', KEYS[3])
  local max = tonumber(ARGV[14])
  if size > max then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, size - max - 1) end
  redis.call('PEXPIRE', KEYS[3], window)
  redis.call('PEXPIRE', KEYS[4], window)
  local failures = redis.call('ZCARD', KEYS[3])
  local distinct = redis.call('ZCARD', KEYS[4])
  local started = 0
  if failures >= tonumber(ARGV[6]) and distinct >= tonumber(ARGV[7]) then
    local current = tonumber(redis.call('GET', KEYS[1]) or '0')
    if current <= now then
      started = now + tonumber(ARGV[9])
      redis.call('SET', KEYS[1], tostring(started), 'PX', ARGV[9])
    end
  end
  return {failures, distinct, started, '', '', 0, 0, 0}
end
local ttl, knownMax = tonumber(ARGV[10]), tonumber(ARGV[11])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
redis.call('ZADD', KEYS[2], now, ARGV[3])
local known = redis.call('ZCARD', KEYS[2])
if known > knownMax then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, known - knownMax - 1) end
redis.call('PEXPIRE', KEYS[2], ttl)
local devices, isNew = 0, 0
if ARGV[5] ~= '' then
  local devWindow = tonumber(ARGV[12])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - devWindow)
  if not redis.call('ZSCORE', KEYS[5], ARGV[5]) then isNew = 1 end
  redis.call('ZADD', KEYS[5], now, ARGV[5])
  devices = redis.call('ZCARD', KEYS[5])
  if devices > knownMax then
    redis.call('ZREMRANGEBYRANK', KEYS[5], 0, devices - knownMax - 1)
    devices = knownMax
  end
  redis.call('PEXPIRE', KEYS[5], devWindow)
end
local prev = redis.call('HMGET', KEYS[6], 'ip', 'ipKey', 'at')
redis.call('HSET', KEYS[6], 'ip', ARGV[4], 'ipKey', ARGV[3], 'at', ARGV[1])
redis.call('PEXPIRE', KEYS[6], ttl)
return {redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]), 0, prev[1] or '',
  prev[2] or '', tonumber(prev[3] or '0'), devices, isNew}
`;

/**
 * Counts one token refresh. KEYS[1] refresh zset (member unique id, score ms).
 * ARGV[1] now ms, ARGV[2] windowMs, ARGV[3] unique id, ARGV[4] max entries.
 * Returns the refreshes in the window, this one included.
 */
export const COUNT_REFRESH = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[3])
local size = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[4])
if size > max then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - max - 1)
  size = max
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return size
`;
