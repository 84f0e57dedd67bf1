-- Apply the dead-letter caps without a new arrival (the reaper's tick): age first, then count.
-- KEYS[1] dead zset
-- ARGV[1] max count  ARGV[2] max age ms
-- Returns: number of dead letters dropped
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return dead_trim(KEYS[1], now, tonumber(ARGV[1]), tonumber(ARGV[2]))
