-- Give up on a task: processing -> dead-letter zset (dead_lib.lua), trimmed by count and age; its
-- state says `dead` and where its record is (`dead_seq`), for the result TTL.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] dead zset  KEYS[5] stats hash
-- KEYS[6] results hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] dead-letter record (JSON)  ARGV[4] max count  ARGV[5] max age ms
-- ARGV[6] error type (counted as failed:<type>)  ARGV[7] task id  ARGV[8] state TTL ms (0: none)
-- ARGV[9] task name as JSON text  ARGV[10] attempt
-- Returns: 1 when dead-lettered; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
local now = state_now()
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local seq = dead_add(KEYS[4], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[5], 'failed', 1)
redis.call('HINCRBY', KEYS[5], 'failed:' .. ARGV[6], 1)
redis.call('HINCRBY', KEYS[5], 'dead_lettered', 1)
if tonumber(ARGV[8]) > 0 then
  local reason = cjson.encode(cjson.decode(ARGV[3]).reason)
  state_write(KEYS[6], ARGV[7], ARGV[8], now, 'dead', ARGV[9], ARGV[10],
    ',"error":' .. reason .. ',"dead_seq":"' .. seq .. '"')
end
return 1
