-- Fail an expired lease (error type timeout): processing -> delayed, or -> dead when retries are used up.
-- Only when the token still matches and the deadline has passed, so concurrent reapers do no double work.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] delayed zset
-- KEYS[5] dead zset  KEYS[6] stats hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] new element (attempt+1)  ARGV[4] delay ms, or -1 to dead-letter
-- ARGV[5] dead-letter record (JSON)  ARGV[6] dead max count  ARGV[7] dead max age ms
-- Returns: 1 when reaped; 0 when someone else already moved it or the lease was extended
local raw = ARGV[1]
if redis.call('HGET', KEYS[3], raw) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = redis.call('ZSCORE', KEYS[2], raw)
if not deadline or tonumber(deadline) > now then return 0 end
redis.call('LREM', KEYS[1], 1, raw)
redis.call('ZREM', KEYS[2], raw)
redis.call('HDEL', KEYS[3], raw)
redis.call('HINCRBY', KEYS[6], 'expired', 1)
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('HINCRBY', KEYS[6], 'failed:timeout', 1)
local delay = tonumber(ARGV[4])
if delay < 0 then
  dead_add(KEYS[5], ARGV[5], now, tonumber(ARGV[6]), tonumber(ARGV[7]))
  redis.call('HINCRBY', KEYS[6], 'dead_lettered', 1)
else
  redis.call('ZADD', KEYS[4], now + delay, ARGV[3])
  redis.call('HINCRBY', KEYS[6], 'retried', 1)
end
return 1
