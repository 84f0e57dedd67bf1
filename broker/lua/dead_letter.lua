-- Give up on a task: processing -> dead-letter zset (dead_lib.lua), trimmed by count and age.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] dead zset  KEYS[5] stats hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] dead-letter record (JSON)  ARGV[4] max count  ARGV[5] max age ms
-- ARGV[6] error type (counted as failed:<type>)
-- Returns: 1 when dead-lettered; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
dead_add(KEYS[4], ARGV[3], now, tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[5], 'failed', 1)
redis.call('HINCRBY', KEYS[5], 'failed:' .. ARGV[6], 1)
redis.call('HINCRBY', KEYS[5], 'dead_lettered', 1)
return 1
