-- Shared functions of the scripts that record a task's state (scripts/mod.rs prepends this file).
-- A finished task (or a running one a cancel reached) has one field in the queue's results hash,
-- id -> JSON document (or the text `cancel` while a cancel waits for its worker), and its expiry
-- time in the results-expiry zset; the reaper drops expired ones (trim_results.lua). Pending,
-- delayed and running tasks are found in the queue's own structures (lookup.lua). Two keys per
-- queue, not one per task: a queue's slot keeps a handful of keys, so it reshards quickly and no
-- script ever names a key that does not exist yet (a cluster answers that with TRYAGAIN while
-- the slot migrates).

local function state_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Records results[id] = {"state","task","attempt"<fields>,"updated_at"} until now + ttl ms.
-- `task` is already JSON text (the caller encodes it); `fields` a JSON fragment (',"result":…').
-- Nothing when ttl is 0 (results are off).
local function state_write(results, expiry, id, ttl, now, state, task, attempt, fields)
  ttl = tonumber(ttl)
  if ttl <= 0 then return end
  local at = string.format('%.0f', now)
  redis.call('HSET', results, id, '{"state":"' .. state .. '","task":' .. task .. ',"attempt":'
    .. attempt .. fields .. ',"updated_at":' .. at .. '}')
  redis.call('ZADD', expiry, string.format('%.0f', now + ttl), id)
end

-- True when a cancel reached the task while it ran.
local function state_cancel_requested(results, id)
  return redis.call('HGET', results, id) == 'cancel'
end

-- Records a cancellation (kept ttl ms even with results off).
local function state_cancelled(results, expiry, id, ttl, task, attempt)
  state_write(results, expiry, id, math.max(tonumber(ttl), 1), state_now(), 'cancelled', task,
    attempt, ',"error":"cancelled"')
end

-- Drops an element from processing with its lease and token.
local function state_unlease(processing, leases, tokens, raw)
  redis.call('LREM', processing, 1, raw)
  redis.call('ZREM', leases, raw)
  redis.call('HDEL', tokens, raw)
end
