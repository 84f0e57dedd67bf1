-- Schedule an element to become pending after a delay measured on the Redis clock.
-- KEYS[1] delayed zset
-- ARGV[1] element  ARGV[2] delay ms
-- Returns: the due time (ms since the epoch, Redis clock)
local t = redis.call('TIME')
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], due, ARGV[1])
return due
