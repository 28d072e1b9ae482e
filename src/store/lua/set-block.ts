import { IP_HELPERS } from './helpers.ts';

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
