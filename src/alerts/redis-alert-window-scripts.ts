/**
 * Lua scripts of `RedisAlertWindowStore`: one atomic step each. Every key of one rule shares
 * the hash tag `{alerts}` (with the rules set), so each script touches one Redis Cluster slot.
 * Time comes from ARGV (epoch ms), never from Redis TIME, so injected clocks work; TTLs only
 * reclaim memory when every instance is gone.
 *
 * Keys of one rule: KEYS[1] state hash (start, end, count, first, last, sev, and uip / uacc:
 * events whose IP / account was not tracked), KEYS[2] IP sorted set, KEYS[3] account sorted set,
 * KEYS[4] action hash, KEYS[5] set of known rules. Each sorted set holds at most the cap.
 */

/**
 * Adds one event. ARGV: 1 rule, 2 now, 3 window ms, 4 event time, 5 ip ('' none),
 * 6 account ('' none), 7 action ('' none), 8 severity rank, 9 ttl ms, 10 tracking cap (distinct
 * IPs, and accounts, per window). Returns 1 when it opened a window (the caller sends the first
 * alert), else 0.
 */
export const ADD_EVENT = `
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[9])
local cap = tonumber(ARGV[10])
-- A value already tracked keeps counting when the set is full; a new one is only counted.
local function track(key, value, untracked)
  if value == '' then return end
  if redis.call('ZSCORE', key, value) or redis.call('ZCARD', key) < cap then
    redis.call('ZINCRBY', key, 1, value)
  else
    redis.call('HINCRBY', KEYS[1], untracked, 1)
  end
end
local state = redis.call('HMGET', KEYS[1], 'end', 'count')
local ends = tonumber(state[1])
local count = tonumber(state[2]) or 0
if ends == nil or (ends <= now and count == 0) then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'start', now, 'end', now + tonumber(ARGV[3]), 'count', 0,
    'first', 0, 'last', 0, 'sev', 0, 'uip', 0, 'uacc', 0)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('SADD', KEYS[5], ARGV[1])
  redis.call('PEXPIRE', KEYS[5], ttl)
  return 1
end
count = redis.call('HINCRBY', KEYS[1], 'count', 1)
if count == 1 then redis.call('HSET', KEYS[1], 'first', ARGV[4]) end
redis.call('HSET', KEYS[1], 'last', ARGV[4])
local sev = tonumber(redis.call('HGET', KEYS[1], 'sev')) or 0
if tonumber(ARGV[8]) > sev then redis.call('HSET', KEYS[1], 'sev', ARGV[8]) end
track(KEYS[2], ARGV[5], 'uip')
track(KEYS[3], ARGV[6], 'uacc')
if ARGV[7] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[7], 1) end
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ttl) end
return 0
`;

/**
 * Takes the digest of a window ended by now. ARGV: 1 rule, 2 now, 3 window ms, 4 top count,
 * 5 ttl ms. Returns nil (not due, or gone), {0} (quiet window closed), or
 * {count, start, end, first, last, sev, distinct ips, distinct accounts, ips, accounts, actions,
 * untracked ip events, untracked account events} and opens the next window, empty, right after
 * the one taken.
 */
export const CLAIM_DIGEST = `
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'start', 'end', 'count', 'first', 'last', 'sev', 'uip',
  'uacc')
if not s[2] then
  redis.call('SREM', KEYS[5], ARGV[1])
  return nil
end
local ends = tonumber(s[2])
if ends > now then return nil end
local count = tonumber(s[3]) or 0
if count == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  redis.call('SREM', KEYS[5], ARGV[1])
  return {0}
end
local n = tonumber(ARGV[4]) - 1
local ips = redis.call('ZREVRANGE', KEYS[2], 0, n, 'WITHSCORES')
local accounts = redis.call('ZREVRANGE', KEYS[3], 0, n, 'WITHSCORES')
local nips = redis.call('ZCARD', KEYS[2])
local naccounts = redis.call('ZCARD', KEYS[3])
local actions = redis.call('HGETALL', KEYS[4])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local nextEnd = ends + window
if nextEnd <= now then nextEnd = now + window end
redis.call('HSET', KEYS[1], 'start', ends, 'end', nextEnd, 'count', 0, 'first', 0, 'last', 0,
  'sev', 0, 'uip', 0, 'uacc', 0)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
-- A window opened before uip / uacc existed has neither field (HMGET gives false).
return {count, s[1], ends, s[4], s[5], s[6], nips, naccounts, ips, accounts, actions,
  tonumber(s[7]) or 0, tonumber(s[8]) or 0}
`;
