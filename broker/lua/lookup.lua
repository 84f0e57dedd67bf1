-- Where a task is in one queue (read only). A finished task has a recorded state (state_lib.lua);
-- otherwise the queue's processing list, pending list, delayed zset and dead zset are searched.
-- KEYS[1] results hash  KEYS[2] processing list  KEYS[3] token hash
-- KEYS[4] pending list  KEYS[5] delayed zset  KEYS[6] dead zset
-- ARGV[1] task id (lowercase UUID text)  ARGV[2] '1': the recorded state only (no search)
-- Returns: {'doc', JSON document, state override ('failed' for a `dead` state whose record is
-- gone, else '')}; {'running'|'pending'|'delayed', element}; {'dead', record}; {} when not here
local id = ARGV[1]
local state, doc = find_state(KEYS[1], id)
if state and state.state then
  if state.state == 'dead' and not find_dead_record(KEYS[6], state.dead_seq, id) then
    return {'doc', doc, 'failed'}
  end
  return {'doc', doc, ''}
end
if ARGV[2] == '1' then return {} end
local el = find_in_list(KEYS[2], id)
if el then
  -- An element in processing without a token is between BLMOVE and its claim (or orphaned).
  if redis.call('HEXISTS', KEYS[3], el) == 1 then return {'running', el} end
  return {'pending', el}
end
el = find_in_list(KEYS[4], id)
if el then return {'pending', el} end
el = find_in_zset(KEYS[5], id, 'id')
if el then return {'delayed', el} end
el = find_in_zset(KEYS[6], id, 'task_id')
if el then return {'dead', el} end
return {}
