import { GUARD_OVER } from '../rule-thresholds.ts';

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
  if ${GUARD_OVER.lua('failures', 'distinct', 'tonumber(ARGV[6])', 'tonumber(ARGV[7])')} then
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
