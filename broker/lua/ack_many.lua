-- Finish many tasks at once; each one only if the caller holds its lease; record each `succeeded`.
-- The writes are variadic, one command per structure for the whole batch (a redis.call costs
-- about as much as the work of one element), so recording the states adds one HSET per batch,
-- not one command per task.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- KEYS[5] results hash
-- ARGV[1] state TTL ms (0: none); then per item: element, token, task id, task name as JSON
-- text, attempt, result (JSON text; 'null' for none)
-- Returns: array of 1 (acked) / 0 (stale token, unchanged), one per item
-- `cmd key` over `list`, 1,000 arguments per call (Lua's unpack has a stack limit; pairs stay
-- whole since 1,000 is even).
local function batched(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end

local out = {}
local done = {}
local ttl = tonumber(ARGV[1])
local now = ttl > 0 and state_now() or 0
local at = string.format('%.0f', now)
local until_at = string.format('%.0f', now + ttl)
local states = {}
for i = 2, #ARGV, 6 do
  local raw, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], raw) == token then
    redis.call('LREM', KEYS[1], 1, raw)
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
