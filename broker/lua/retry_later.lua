-- A failed attempt that will be retried: processing -> delayed (the new element has attempt+1).
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] delayed zset  KEYS[5] stats hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] new element  ARGV[4] delay ms  ARGV[5] error type
-- Returns: 1 when moved; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[3])
redis.call('HINCRBY', KEYS[5], 'failed', 1)
redis.call('HINCRBY', KEYS[5], 'failed:' .. ARGV[5], 1)
redis.call('HINCRBY', KEYS[5], 'retried', 1)
return 1
