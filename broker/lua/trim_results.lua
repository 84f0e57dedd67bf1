-- Drop recorded task states whose result TTL has passed.
-- KEYS[1] results hash  KEYS[2] results expiry zset
-- ARGV[1] max entries
-- Returns: number dropped
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGE', KEYS[2], '-inf', string.format('%.0f', now), 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
if #ids == 0 then return 0 end
redis.call('HDEL', KEYS[1], unpack(ids))
redis.call('ZREM', KEYS[2], unpack(ids))
return #ids
