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
