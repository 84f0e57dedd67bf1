-- Finish many tasks at once; each one only if the caller holds its lease; record each `succeeded`.
-- The writes are variadic, one command per structure for the whole batch (a redis.call costs
-- about as much as the work of one element), so recording the states adds one HSET per batch,
-- not one command per task.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- KEYS[5] results hash
-- ARGV[1] state TTL ms (0: none); then per item: element, token, task id, task name as JSON
-- text, attempt, result (JSON text; 'null' for none)
-- Returns: array of 1 (acked) / 0 (stale token, unchanged), one per item
local out = {}
local done = {}
local ttl = tonumber(ARGV[1])
local now = ttl > 0 and state_now() or 0
local at = string.format('%.0f', now)
local until_at = string.format('%.0f', now + ttl)
local states = {}
-- Every item's current token in one HMGET per 1,000 items.
local raws, held = {}, {}
for i = 2, #ARGV, 6 do raws[#raws + 1] = ARGV[i] end
for i = 1, #raws, 1000 do
  local part = redis.call('HMGET', KEYS[3], unpack(raws, i, math.min(i + 999, #raws)))
  for j = 1, #part do held[#held + 1] = part[j] end
end
for i = 2, #ARGV, 6 do
  local raw, token = ARGV[i], ARGV[i + 1]
  if held[(i - 2) / 6 + 1] == token then
    unlist(KEYS[1], raw)
    done[#done + 1] = raw
    if ttl > 0 then
      local id = ARGV[i + 2]
      states[#states + 1] = id
      states[#states + 1] = state_doc('succeeded', ARGV[i + 3], ARGV[i + 4],
        ',"result":' .. ARGV[i + 5], at, until_at)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if #done > 0 then
  batched('ZREM', KEYS[2], done)
  batched('HDEL', KEYS[3], done)
  redis.call('HINCRBY', KEYS[4], 'processed', #done)
end
batched('HSET', KEYS[5], states)
return out
