-- Shared functions of the scripts that write a task's state hash (scripts/mod.rs prepends this
-- file). The hash exists only for finished tasks (and running ones a cancel reached), with a TTL;
-- pending, delayed and running tasks are found in the queue's own structures (lookup.lua).

local function state_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Records a finished task: state, task, attempt, one more field (result or error), for ttl ms.
-- Nothing when ttl is 0 (results are off).
local function state_write(key, ttl, state, task, attempt, field, value)
  if tonumber(ttl) <= 0 then return end
  redis.call('HSET', key, 'state', state, 'task', task, 'attempt', attempt, field, value,
    'updated_at', state_now())
  redis.call('PEXPIRE', key, ttl)
end

-- True when a cancel reached the task while it ran (its hash has the `cancel` field).
local function state_cancel_requested(key)
  return redis.call('HEXISTS', key, 'cancel') == 1
end

-- Records a cancellation; keeps the TTL the cancel request set, or gives it ttl.
local function state_cancelled(key, ttl, task, attempt)
  redis.call('HSET', key, 'state', 'cancelled', 'task', task, 'attempt', attempt,
    'error', 'cancelled', 'updated_at', state_now())
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, math.max(tonumber(ttl), 1)) end
end

-- Drops an element from processing with its lease and token.
local function state_unlease(processing, leases, tokens, raw)
  redis.call('LREM', processing, 1, raw)
  redis.call('ZREM', leases, raw)
  redis.call('HDEL', tokens, raw)
end
