/**
 * Lua scripts of `RedisCounterStore`: one script per operation, one round trip, atomic.
 * Every KEYS entry of a script shares one hash tag (`{ip:…}`, `{acct:…}` or `{user:…}`),
 * so each script touches one Redis Cluster slot. Time always comes from ARGV (`now`,
 * epoch ms), never from Redis TIME, so fake clocks work; key TTLs only reclaim memory.
 */

// Shared helpers, prepended to the IP scripts. Blocks are hashes; expiry is logical
// (`expiresAt` vs `now`) with a real PEXPIRE for cleanup.
const BLOCK_HELPERS = `
local function readBlock(key, now)
  local b = redis.call('HMGET', key, 'rule', 'reason', 'createdAt', 'expiresAt', 'manual',
    'count', 'limit', 'windowMs')
  if b[4] and tonumber(b[4]) > now then return b end
  return false
end
local function writeBlock(key, now, rule, reason, count, limit, windowMs, blockMs, manual)
  local expiresAt = now + tonumber(blockMs)
  redis.call('DEL', key)
  redis.call('HSET', key, 'rule', rule, 'reason', reason, 'createdAt', tostring(now),
    'expiresAt', tostring(expiresAt), 'manual', manual, 'count', tostring(count),
    'limit', tostring(limit), 'windowMs', tostring(windowMs))
  redis.call('PEXPIRE', key, blockMs)
  return {rule, reason, tostring(now), tostring(expiresAt), manual, tostring(count),
    tostring(limit), tostring(windowMs)}
end
local function capWindow(key, max)
  local size = redis.call('ZCARD', key)
  if size > max then
    redis.call('ZREMRANGEBYRANK', key, 0, size - max - 1)
    return max
  end
  return size
end
-- Reservations older than the pending TTL never got an outcome: they count as failures.
local function settleStale(failKey, pendKey, now, pendingTtl)
  local stale = redis.call('ZRANGEBYSCORE', pendKey, '-inf', now - pendingTtl, 'WITHSCORES')
  for i = 1, #stale, 2 do redis.call('ZADD', failKey, stale[i + 1], stale[i]) end
  if #stale > 0 then redis.call('ZREMRANGEBYSCORE', pendKey, '-inf', now - pendingTtl) end
end
`;

/**
 * Login/signup precheck for one IP.
 * KEYS[1] block hash, KEYS[2] bot window zset (member request id, score ms),
 * KEYS[3] failure zset (member `account|slot`, score ms), KEYS[4] pending reservations zset.
 * ARGV[1] now ms, ARGV[2] request id, ARGV[3] reservation member ('' = signup: no slot),
 * ARGV[4..7] bot limit, windowMs, blockMs, enforced (1|0),
 * ARGV[8..11] brute-force limit, windowMs, blockMs, enforced (1|0),
 * ARGV[12] exempt (1|0), ARGV[13] pending TTL ms, ARGV[14] max entries per window,
 * ARGV[15] bot reason, ARGV[16] brute-force reason.
 * Returns {status, requests, failures, pending, monitoredBot, monitoredBrute, ...block}
 * with status blocked | created | busy | ok | reserved.
 */
export const PRECHECK_IP = `${BLOCK_HELPERS}
local now = tonumber(ARGV[1])
local exempt = ARGV[12] == '1'
local max = tonumber(ARGV[14])
local block = readBlock(KEYS[1], now)
if block and not exempt then return {'blocked', 0, 0, 0, 0, 0, unpack(block)} end
local botLimit, botWindow = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - botWindow)
redis.call('ZADD', KEYS[2], now, ARGV[2])
local requests = capWindow(KEYS[2], max)
redis.call('PEXPIRE', KEYS[2], botWindow)
local monBot = 0
if requests > botLimit then
  if ARGV[7] == '1' and not exempt then
    return {'created', requests, 0, 0, 0, 0, unpack(writeBlock(KEYS[1], now, 'bot_activity',
      ARGV[15], requests, botLimit, botWindow, ARGV[6], '0'))}
  end
  monBot = 1
end
if ARGV[3] == '' then return {'ok', requests, 0, 0, monBot, 0} end
local limit, window = tonumber(ARGV[8]), tonumber(ARGV[9])
settleStale(KEYS[3], KEYS[4], now, tonumber(ARGV[13]))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
local failures = redis.call('ZCARD', KEYS[3])
local pending = redis.call('ZCARD', KEYS[4])
local enforced = ARGV[11] == '1' and not exempt
if failures >= limit and enforced then
  return {'created', requests, failures, pending, monBot, 0, unpack(writeBlock(KEYS[1], now,
    'brute_force', ARGV[16], failures, limit, window, ARGV[10], '0'))}
end
local monBrute = 0
if failures + pending >= limit then
  if enforced then return {'busy', requests, failures, pending, monBot, 0} end
  monBrute = 1
end
redis.call('ZADD', KEYS[4], now, ARGV[3])
capWindow(KEYS[4], max)
redis.call('PEXPIRE', KEYS[4], window)
return {'reserved', requests, failures, pending, monBot, monBrute}
`;

/**
 * Settles a login reservation.
 * KEYS[1] block hash, KEYS[2] failure zset, KEYS[3] pending zset.
 * ARGV[1] now ms, ARGV[2] reservation member ('' = none), ARGV[3] failure|success|release,
 * ARGV[4] account prefix `account|`, ARGV[5] member to add on a failure without reservation,
 * ARGV[6..9] limit, windowMs, blockMs, enforced (1|0), ARGV[10] exempt (1|0),
 * ARGV[11] pending TTL ms, ARGV[12] max entries, ARGV[13] brute-force reason.
 * Returns {failures, cleared, monitored, ...block when created}.
 */
export const RECORD_IP = `${BLOCK_HELPERS}
local now = tonumber(ARGV[1])
local limit, window = tonumber(ARGV[6]), tonumber(ARGV[7])
settleStale(KEYS[2], KEYS[3], now, tonumber(ARGV[11]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
local member = ARGV[2]
if member ~= '' then redis.call('ZREM', KEYS[3], member) end
local cleared = 0
if ARGV[3] == 'failure' then
  if member == '' then member = ARGV[5] end
  redis.call('ZADD', KEYS[2], now, member)
  capWindow(KEYS[2], tonumber(ARGV[12]))
  redis.call('PEXPIRE', KEYS[2], window)
else
  if member ~= '' then redis.call('ZREM', KEYS[2], member) end
  if ARGV[3] == 'success' then
    -- Only this account's failures: an attacker cannot reset the IP with their own account.
    local prefix = ARGV[4]
    for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
      if string.sub(m, 1, #prefix) == prefix then
        redis.call('ZREM', KEYS[2], m)
        cleared = cleared + 1
      end
    end
  end
end
local failures = redis.call('ZCARD', KEYS[2])
local over = ARGV[3] == 'failure' and failures >= limit
local enforced = ARGV[9] == '1' and ARGV[10] ~= '1'
if over and enforced then
  if not readBlock(KEYS[1], now) then
    return {failures, cleared, 0, unpack(writeBlock(KEYS[1], now, 'brute_force', ARGV[13],
      failures, limit, window, ARGV[8], '0'))}
  end
  return {failures, cleared, 0}
end
return {failures, cleared, over and 1 or 0}
`;

/**
 * Sets (replaces) a block. KEYS[1] block hash.
 * ARGV[1] now ms, ARGV[2] rule, ARGV[3] reason, ARGV[4] count, ARGV[5] limit,
 * ARGV[6] windowMs, ARGV[7] blockMs, ARGV[8] manual (1|0). Returns the block fields.
 */
export const SET_BLOCK = `${BLOCK_HELPERS}
return writeBlock(KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6],
  ARGV[7], ARGV[8])
`;

/**
 * Lifts a block and clears the IP's windows. KEYS[1] block hash, KEYS[2] bot zset,
 * KEYS[3] failure zset, KEYS[4] pending zset. ARGV[1] now ms. Returns 1 when a block was active.
 */
export const UNBLOCK = `${BLOCK_HELPERS}
local active = readBlock(KEYS[1], tonumber(ARGV[1]))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
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
