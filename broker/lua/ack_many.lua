-- Finish many tasks at once; each one only if the caller holds its lease; record each `succeeded`.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- KEYS[5] results hash  KEYS[6] results expiry zset
-- ARGV[1] state TTL ms (0: none); then per item: element, token, task id, task name as JSON
-- text, attempt
-- Returns: array of 1 (acked) / 0 (stale token, unchanged), one per item
local out = {}
local acked = 0
local now = state_now()
for i = 2, #ARGV, 5 do
  local raw, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], raw) == token then
    state_unlease(KEYS[1], KEYS[2], KEYS[3], raw)
    state_write(KEYS[5], KEYS[6], ARGV[i + 2], ARGV[1], now, 'succeeded', ARGV[i + 3], ARGV[i + 4],
      ',"result":null')
    acked = acked + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if acked > 0 then redis.call('HINCRBY', KEYS[4], 'processed', acked) end
return out
