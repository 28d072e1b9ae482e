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
// so a precheck is GET + SET PX: two calls on one key, whatever the rules.
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

/**
 * Login/signup precheck for one IP. KEYS[1] the IP key.
 * ARGV[1] now ms, ARGV[2] unused, ARGV[3] reservation id ('' = signup: no slot),
 * ARGV[4..7] bot limit, windowMs, blockMs, enforced (1|0),
 * ARGV[8..11] brute-force limit, windowMs, blockMs, enforced (1|0),
 * ARGV[12] exempt (1|0), ARGV[13] pending TTL ms, ARGV[14] max entries per window,
 * ARGV[15] bot reason, ARGV[16] brute-force reason, ARGV[17] account.
 * Returns {status, requests, failures, pending, monitoredBot, monitoredBrute, ...block}
 * with status blocked | created | busy | ok | reserved.
 */
export const PRECHECK_IP = `${IP_HELPERS}
local now = tonumber(ARGV[1])
local exempt = ARGV[12] == '1'
local max = tonumber(ARGV[14])
local botRaw, sltRaw, blkRaw = split(redis.call('GET', KEYS[1]))
local block = readBlock(blkRaw, now)
if block and not exempt then return {'blocked', 0, 0, 0, 0, 0, unpack(block)} end
if not block then blkRaw = false end
local botLimit, botWindow = tonumber(ARGV[4]), tonumber(ARGV[5])
local limit, window = tonumber(ARGV[8]), tonumber(ARGV[9])
local keep = math.max(botWindow, window, tonumber(ARGV[13]))
if block then keep = math.max(keep, block[4] - now) end
local bot, requests = countRequest(botRaw, now - botWindow, now, max)
local monBot = 0
if requests > botLimit then
  if ARGV[7] == '1' and not exempt then
    local b = newBlock(now, 'bot_activity', ARGV[15], requests, botLimit, botWindow, ARGV[6], '0')
    redis.call('SET', KEYS[1], join(bot, sltRaw, cjson.encode(b)), 'PX',
      math.max(keep, tonumber(ARGV[6])))
    return {'created', requests, 0, 0, 0, 0, unpack(b)}
  end
  monBot = 1
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], join(bot, sltRaw, blkRaw), 'PX', keep)
  return {'ok', requests, 0, 0, monBot, 0}
end
local slots, failures, pending, changed = readSlots(sltRaw, now, window, tonumber(ARGV[13]))
local enforced = ARGV[11] == '1' and not exempt
local status, monBrute = 'reserved', 0
if failures >= limit and enforced then
  local b = newBlock(now, 'brute_force', ARGV[16], failures, limit, window, ARGV[10], '0')
  redis.call('SET', KEYS[1], join(bot, sltRaw, cjson.encode(b)), 'PX',
    math.max(keep, tonumber(ARGV[10])))
  return {'created', requests, failures, pending, monBot, 0, unpack(b)}
end
if failures + pending >= limit then
  if enforced then status = 'busy' else monBrute = 1 end
end
local encoded
if status == 'reserved' and not changed and #slots < max then
  encoded = (sltRaw or '') .. slot('0', now, ARGV[3], ARGV[17])
else
  if status == 'reserved' then slots[#slots + 1] = {'0', now, ARGV[3], ARGV[17]} end
  encoded = encodeSlots(slots, max)
end
redis.call('SET', KEYS[1], join(bot, encoded, blkRaw), 'PX', keep)
return {status, requests, failures, pending, monBot, monBrute}
`;

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
