-- Heartbeat: push the lease deadline forward if the caller still holds the lease.
-- KEYS[1] lease zset  KEYS[2] token hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] lease ms
-- Returns: 1 when extended; 0 when the lease is no longer the caller's
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], deadline, ARGV[1])
return 1
