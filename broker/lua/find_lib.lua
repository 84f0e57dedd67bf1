-- Shared functions of lookup.lua and cancel.lua: find a task by id in a queue's structures. An
-- element holds its id as text, so a plain substring search picks candidates and a JSON decode
-- confirms them (an id may also appear inside another task's args). Chunks of 1000 bound memory.
local FIND_CHUNK = 1000

local function find_is(text, id, field)
  if not string.find(text, id, 1, true) then return nil end
  local ok, decoded = pcall(cjson.decode, text)
  if ok and type(decoded) == 'table' then
    if decoded[field] == id then return decoded end
    -- A Celery message (claimed from a Celery list) holds its id in its headers.
    if field == 'id' and type(decoded.headers) == 'table' and decoded.headers.id == id then
      return decoded
    end
  end
  return nil
end

-- The element of list `key` whose envelope id is `id`: element, envelope.
local function find_in_list(key, id)
  local len = redis.call('LLEN', key)
  for start = 0, len - 1, FIND_CHUNK do
    for _, el in ipairs(redis.call('LRANGE', key, start, start + FIND_CHUNK - 1)) do
      local env = find_is(el, id, 'id')
      if env then return el, env end
    end
  end
  return nil
end

-- The member of zset `key` whose `field` is `id` (envelope `id`; dead-letter record `task_id`).
local function find_in_zset(key, id, field)
  local len = redis.call('ZCARD', key)
  for start = 0, len - 1, FIND_CHUNK do
    for _, m in ipairs(redis.call('ZRANGE', key, start, start + FIND_CHUNK - 1)) do
      local found = find_is(m, id, field)
      if found then return m, found end
    end
  end
  return nil
end

-- The dead-letter record a `dead` state hash points to (its `dead_seq` score), if still there.
local function find_dead_record(dead, seq, id)
  if not seq then return nil end
  for _, m in ipairs(redis.call('ZRANGE', dead, seq, seq, 'BYSCORE')) do
    if find_is(m, id, 'task_id') then return m end
  end
  return nil
end

-- The recorded state of task `id`: its JSON document (decoded) and text, `{cancel = true}` while a
-- cancel waits for its worker, or nil (none, or past its expiry and not yet trimmed).
local function find_state(results, id)
  local doc = redis.call('HGET', results, id)
  if not doc then return nil end
  local expiry = state_expiry(doc)
  if expiry and expiry <= state_now() then return nil end
  if string.sub(doc, 1, 7) == 'cancel:' then return {cancel = true} end
  local ok, decoded = pcall(cjson.decode, doc)
  if not ok or type(decoded) ~= 'table' then return nil end
  return decoded, doc
end
