-- Give up on a task: processing -> dead-letter zset (dead_lib.lua), trimmed by count and age; its
-- state hash says `dead` and where its record is (`dead_seq`), for the result TTL.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] dead zset  KEYS[5] stats hash
-- KEYS[6] task state hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] dead-letter record (JSON)  ARGV[4] max count  ARGV[5] max age ms
-- ARGV[6] error type (counted as failed:<type>)  ARGV[7] state TTL ms (0: none)  ARGV[8] task name
-- ARGV[9] attempt
-- Returns: 1 when dead-lettered; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
local now = state_now()
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local seq = dead_add(KEYS[4], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[5], 'failed', 1)
redis.call('HINCRBY', KEYS[5], 'failed:' .. ARGV[6], 1)
redis.call('HINCRBY', KEYS[5], 'dead_lettered', 1)
if tonumber(ARGV[7]) > 0 then
  state_write(KEYS[6], ARGV[7], 'dead', ARGV[8], ARGV[9], 'error', cjson.decode(ARGV[3]).reason)
  redis.call('HSET', KEYS[6], 'dead_seq', seq)
end
return 1
