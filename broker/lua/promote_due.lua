-- Move delayed elements whose due time has come to the back of pending, earliest first.
-- KEYS[1] delayed zset  KEYS[2] pending list
-- ARGV[1] max elements per call  ARGV[2] wake channel (published to when any was promoted)
-- Returns: number of elements promoted
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, raw in ipairs(due) do
  redis.call('ZREM', KEYS[1], raw)
  redis.call('LPUSH', KEYS[2], raw)
end
if #due > 0 then redis.call('PUBLISH', ARGV[2], '1') end
return #due
