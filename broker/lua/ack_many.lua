-- Finish many tasks at once; each one only if the caller holds its lease.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- ARGV element1, token1, element2, token2, ...
-- Returns: array of 1 (acked) / 0 (stale token, unchanged), one per pair
local out = {}
local acked = 0
for i = 1, #ARGV, 2 do
  local raw, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], raw) == token then
    redis.call('LREM', KEYS[1], 1, raw)
    redis.call('ZREM', KEYS[2], raw)
    redis.call('HDEL', KEYS[3], raw)
    acked = acked + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if acked > 0 then redis.call('HINCRBY', KEYS[4], 'processed', acked) end
return out
