-- Shared functions of the scripts that record a task's state (scripts/mod.rs prepends this file).
-- A finished task (or a running one a cancel reached) has one field in the queue's results hash,
-- id -> JSON document ending in its expiry time, `"expires_at":<ms>}` (or the text
-- `cancel:<expiry ms>` while a cancel waits for its worker); the reaper walks the hash with HSCAN
-- and drops expired ones (trim_results.lua). No second structure is written per task: recording
-- a state is one HSET (one per batch in ack_many.lua). Pending, delayed and running tasks are
-- found in the queue's own structures (lookup.lua). One key per queue, not one per task: a
-- queue's slot keeps a handful of keys, so it reshards quickly and no script ever names a key
-- that does not exist yet (a cluster answers that with TRYAGAIN while the slot migrates).

local function state_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The document of a state: {"state","task","attempt"<fields>,"updated_at","expires_at"}. `task`
-- is already JSON text (the caller encodes it); `fields` a JSON fragment (',"result":…'); `at`
-- and `until_at` are integral ms as text.
local function state_doc(state, task, attempt, fields, at, until_at)
  return '{"state":"' .. state .. '","task":' .. task .. ',"attempt":' .. attempt .. fields
    .. ',"updated_at":' .. at .. ',"expires_at":' .. until_at .. '}'
end

-- Records results[id] = its document until now + ttl ms. Nothing when ttl is 0 (results off).
local function state_write(results, id, ttl, now, state, task, attempt, fields)
  ttl = tonumber(ttl)
  if ttl <= 0 then return end
  redis.call('HSET', results, id, state_doc(state, task, attempt, fields,
    string.format('%.0f', now), string.format('%.0f', now + ttl)))
end

-- When a recorded value expires (ms): a document's `expires_at`, a cancel marker's time; nil for
-- anything else.
local function state_expiry(value)
  local at = string.match(value, '"expires_at":(%d+)}$') or string.match(value, '^cancel:(%d+)$')
  return at and tonumber(at)
end

-- True when a cancel reached the task while it ran.
local function state_cancel_requested(results, id)
  local value = redis.call('HGET', results, id)
  return value and string.sub(value, 1, 7) == 'cancel:'
end

-- Marks a running task as reached by a cancel, until ttl ms from now.
local function state_mark_cancel(results, id, ttl)
  redis.call('HSET', results, id, 'cancel:' .. string.format('%.0f', state_now() + tonumber(ttl)))
end

-- Records a cancellation (kept ttl ms even with results off).
local function state_cancelled(results, id, ttl, task, attempt)
  state_write(results, id, math.max(tonumber(ttl), 1), state_now(), 'cancelled', task,
    attempt, ',"error":"cancelled"')
end

-- Drops `raw` from a processing list. Elements enter at the head, and tasks mostly finish in the
-- order they were claimed, so the search starts at the tail (the oldest): under many concurrent
-- tasks this is a few comparisons rather than a walk over the whole list.
local function unlist(processing, raw)
  redis.call('LREM', processing, -1, raw)
end

-- Drops an element from processing with its lease and token.
local function state_unlease(processing, leases, tokens, raw)
  unlist(processing, raw)
  redis.call('ZREM', leases, raw)
  redis.call('HDEL', tokens, raw)
end
