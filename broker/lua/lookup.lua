-- Where a task is in one queue (read only). A finished task has a recorded state (state_lib.lua);
-- otherwise the queue's processing list, pending list, delayed zset and dead zset are searched.
-- KEYS[1] results hash  KEYS[2] results expiry zset  KEYS[3] processing list  KEYS[4] token hash
-- KEYS[5] pending list  KEYS[6] delayed zset  KEYS[7] dead zset
-- ARGV[1] task id (lowercase UUID text)
-- Returns: {'doc', JSON document, state override ('failed' for a `dead` state whose record is
-- gone, else '')}; {'running'|'pending'|'delayed', element}; {'dead', record}; {} when not here
local id = ARGV[1]
local state, doc = find_state(KEYS[1], KEYS[2], id)
if state and state.state then
  if state.state == 'dead' and not find_dead_record(KEYS[7], state.dead_seq, id) then
    return {'doc', doc, 'failed'}
  end
  return {'doc', doc, ''}
end
local el = find_in_list(KEYS[3], id)
if el then
  -- An element in processing without a token is between BLMOVE and its claim (or orphaned).
  if redis.call('HEXISTS', KEYS[4], el) == 1 then return {'running', el} end
  return {'pending', el}
end
el = find_in_list(KEYS[5], id)
if el then return {'pending', el} end
el = find_in_zset(KEYS[6], id, 'id')
if el then return {'delayed', el} end
el = find_in_zset(KEYS[7], id, 'task_id')
if el then return {'dead', el} end
return {}
