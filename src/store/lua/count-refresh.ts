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
