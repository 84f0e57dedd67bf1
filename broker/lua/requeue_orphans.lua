-- Put back elements that sit in processing without a lease (a consumer died between BLMOVE and
-- claim). The first scan records when each was seen; a later scan past the grace period requeues it.
-- KEYS[1] processing list  KEYS[2] token hash  KEYS[3] unleased hash  KEYS[4] pending list
-- ARGV[1] grace ms
-- Returns: number of elements requeued
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local grace = tonumber(ARGV[1])
local still = {}
local requeued = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if not still[raw] and redis.call('HEXISTS', KEYS[2], raw) == 0 then
    local first = redis.call('HGET', KEYS[3], raw)
    if not first then
      redis.call('HSET', KEYS[3], raw, now)
      still[raw] = true
    elseif now - tonumber(first) >= grace then
      redis.call('LREM', KEYS[1], 1, raw)
      redis.call('RPUSH', KEYS[4], raw)
      redis.call('HDEL', KEYS[3], raw)
      requeued = requeued + 1
    else
      still[raw] = true
    end
  end
end
-- forget elements that got a lease or left processing since they were first seen
for _, raw in ipairs(redis.call('HKEYS', KEYS[3])) do
  if not still[raw] then redis.call('HDEL', KEYS[3], raw) end
end
return requeued
