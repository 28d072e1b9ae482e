import { IP_HELPERS } from './helpers.ts';

/**
 * Lifts a block and clears the IP's windows (the whole string) and its reputation (an
 * operator's unblock is a pardon). KEYS[1] the IP key, KEYS[2] its reputation hash.
 * ARGV[1] now ms. Returns 1 when a block was active.
 */
export const UNBLOCK = `${IP_HELPERS}
local _, _, blkRaw = split(redis.call('GET', KEYS[1]))
local active = readBlock(blkRaw, tonumber(ARGV[1]))
redis.call('DEL', KEYS[1], KEYS[2])
if active then return 1 end
return 0
`;
