import { BRUTE_BLOCKS } from '../rule-thresholds.ts';
import { IP_HELPERS } from './helpers.ts';

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
local over = ARGV[3] == 'failure' and ${BRUTE_BLOCKS.lua('failures', 'limit')}
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
