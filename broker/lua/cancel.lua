-- Cancel a task of one queue. Pending, delayed, unleased-in-processing or dead: removed at once,
-- state `cancelled`. Running (leased): its results field becomes `cancel:<expiry ms>` and its id is published
-- on the queue's cancel channel; the worker holding it stops and records `cancelled`
-- (cancelled.lua), and retry_later, release and reap_expired end it `cancelled` too.
-- KEYS[1] results hash  KEYS[2] processing list  KEYS[3] token hash
-- KEYS[4] pending list  KEYS[5] delayed zset  KEYS[6] dead zset  KEYS[7] stats hash
-- KEYS[8] unleased hash
-- ARGV[1] task id  ARGV[2] cancel record TTL ms  ARGV[3] cancel channel
-- Returns: {'cancelled', from state, element or record}; {'running', element};
-- {'finished', state}; {} when not in this queue
local id, ttl = ARGV[1], ARGV[2]

local function cancelled(from, text, env)
  state_cancelled(KEYS[1], id, ttl, cjson.encode(env.task or ''),
    string.format('%d', tonumber(env.attempt) or 0))
  redis.call('HINCRBY', KEYS[7], 'cancelled', 1)
  return {'cancelled', from, text}
end

local state = find_state(KEYS[1], id)
if state and state.state == 'dead' then
  local record = find_dead_record(KEYS[6], state.dead_seq, id)
  if not record then return {'finished', 'failed'} end
  redis.call('ZREM', KEYS[6], record)
  return cancelled('dead', record, state)
end
if state and state.state then return {'finished', state.state} end

local el, env = find_in_list(KEYS[2], id)
if el then
  if redis.call('HEXISTS', KEYS[3], el) == 1 then
    state_mark_cancel(KEYS[1], id, ttl)
    redis.call('PUBLISH', ARGV[3], id)
    return {'running', el}
  end
  redis.call('LREM', KEYS[2], 1, el)
  redis.call('HDEL', KEYS[8], el)
  return cancelled('pending', el, env)
end
el, env = find_in_list(KEYS[4], id)
if el then
  redis.call('LREM', KEYS[4], 1, el)
  return cancelled('pending', el, env)
end
el, env = find_in_zset(KEYS[5], id, 'id')
if el then
  redis.call('ZREM', KEYS[5], el)
  return cancelled('delayed', el, env)
end
el, env = find_in_zset(KEYS[6], id, 'task_id')
if el then
  redis.call('ZREM', KEYS[6], el)
  local ok, inner = pcall(cjson.decode, env.raw or '')
  if not ok or type(inner) ~= 'table' then inner = {} end
  return cancelled('dead', el, inner)
end
return {}
