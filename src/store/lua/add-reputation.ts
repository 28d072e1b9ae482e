import { DECAY } from '../reputation-math.ts';

/**
 * Adds points to an IP's reputation. KEYS[1] the reputation hash (`s` score, `t` time of `s`,
 * `w` reasons: a cjson array of {type, points, at}, newest first).
 * ARGV[1] now ms, ARGV[2] half-life ms, ARGV[3] points, ARGV[4] event type, ARGV[5] reasons
 * kept. The key lives ten half-lives after its last addition (by then under 0.1 % of 100).
 * Returns {score as a string (Lua numbers become integers in replies), reasons json}.
 */
export const ADD_REPUTATION = `
local now, half = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call('HMGET', KEYS[1], 's', 't', 'w')
local score = 0
if old[1] then score = ${DECAY.lua('tonumber(old[1])', 'now - tonumber(old[2])', 'half')} end
score = math.min(100, score + tonumber(ARGV[3]))
local why = {}
if old[3] then why = cjson.decode(old[3]) end
table.insert(why, 1, {ARGV[4], tonumber(ARGV[3]), now})
while #why > tonumber(ARGV[5]) do table.remove(why) end
local encoded = cjson.encode(why)
redis.call('HSET', KEYS[1], 's', tostring(score), 't', ARGV[1], 'w', encoded)
redis.call('PEXPIRE', KEYS[1], half * 10)
return {tostring(score), encoded}
`;

/**
 * Reads an IP's reputation. KEYS[1] the reputation hash. ARGV[1] now ms, ARGV[2] half-life.
 * Returns {score decayed to now as a string, reasons json}, or {'0', '[]'}.
 */
export const GET_REPUTATION = `
local old = redis.call('HMGET', KEYS[1], 's', 't', 'w')
if not old[1] then return {'0', '[]'} end
local score = ${DECAY.lua('tonumber(old[1])', 'tonumber(ARGV[1]) - tonumber(old[2])', 'tonumber(ARGV[2])')}
return {tostring(score), old[3] or '[]'}
`;
