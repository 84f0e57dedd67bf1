-- Lease one element that a blocking move (BLMOVE) already put into processing.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] unleased hash
-- ARGV[1] element  ARGV[2] lease ms  ARGV[3] token
-- Returns: 1 when leased; 0 when the element left processing (reaper requeued it) or is held
local raw = ARGV[1]
if not redis.call('LPOS', KEYS[1], raw) then return 0 end
if redis.call('HEXISTS', KEYS[3], raw) == 1 then return 0 end
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], deadline, raw)
redis.call('HSET', KEYS[3], raw, ARGV[3])
redis.call('HDEL', KEYS[4], raw)
return 1
