-- Cancel a task of one queue. Pending, delayed, unleased-in-processing or dead: removed at once,
-- state `cancelled`. Running (leased): its results field becomes `cancel` and its id is published
-- on the queue's cancel channel; the worker holding it stops and records `cancelled`
-- (cancelled.lua), and retry_later, release and reap_expired end it `cancelled` too.
-- KEYS[1] results hash  KEYS[2] results expiry zset  KEYS[3] processing list  KEYS[4] token hash
-- KEYS[5] pending list  KEYS[6] delayed zset  KEYS[7] dead zset  KEYS[8] stats hash
-- KEYS[9] unleased hash
-- ARGV[1] task id  ARGV[2] cancel record TTL ms  ARGV[3] cancel channel
-- Returns: {'cancelled', from state, element or record}; {'running', element};
-- {'finished', state}; {} when not in this queue
local id, ttl = ARGV[1], ARGV[2]

local function cancelled(from, text, env)
  state_cancelled(KEYS[1], KEYS[2], id, ttl, cjson.encode(env.task or ''),
    string.format('%d', tonumber(env.attempt) or 0))
  redis.call('HINCRBY', KEYS[8], 'cancelled', 1)
  return {'cancelled', from, text}
end

local state = find_state(KEYS[1], KEYS[2], id)
if state and state.state == 'dead' then
  local record = find_dead_record(KEYS[7], state.dead_seq, id)
  if not record then return {'finished', 'failed'} end
  redis.call('ZREM', KEYS[7], record)
  return cancelled('dead', record, state)
end
if state and state.state then return {'finished', state.state} end

local el, env = find_in_list(KEYS[3], id)
if el then
  if redis.call('HEXISTS', KEYS[4], el) == 1 then
    redis.call('HSET', KEYS[1], id, 'cancel')
    redis.call('ZADD', KEYS[2], string.format('%.0f', state_now() + tonumber(ttl)), id)
    redis.call('PUBLISH', ARGV[3], id)
    return {'running', el}
  end
  redis.call('LREM', KEYS[3], 1, el)
  redis.call('HDEL', KEYS[9], el)
  return cancelled('pending', el, env)
end
el, env = find_in_list(KEYS[5], id)
if el then
  redis.call('LREM', KEYS[5], 1, el)
  return cancelled('pending', el, env)
end
el, env = find_in_zset(KEYS[6], id, 'id')
if el then
  redis.call('ZREM', KEYS[6], el)
  return cancelled('delayed', el, env)
end
el, env = find_in_zset(KEYS[7], id, 'task_id')
if el then
  redis.call('ZREM', KEYS[7], el)
  local ok, inner = pcall(cjson.decode, env.raw or '')
  if not ok or type(inner) ~= 'table' then inner = {} end
  return cancelled('dead', el, inner)
end
return {}
