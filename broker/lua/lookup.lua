-- Where a task is in one queue (read only). A finished task has a state hash; otherwise the
-- queue's processing list, pending list, delayed zset and dead zset are searched.
-- KEYS[1] task state hash  KEYS[2] processing list  KEYS[3] token hash  KEYS[4] pending list
-- KEYS[5] delayed zset  KEYS[6] dead zset
-- ARGV[1] task id (lowercase UUID text)
-- Returns: {'hash', field, value, ...} (a `dead` state whose record is gone says `failed`);
-- {'running'|'pending'|'delayed', element}; {'dead', record}; {} when not in this queue
local id = ARGV[1]
local flat, fields = find_state(KEYS[1])
if fields.state then
  if fields.state == 'dead' and not find_dead_record(KEYS[6], fields.dead_seq, id) then
    for i = 1, #flat, 2 do
      if flat[i] == 'state' then flat[i + 1] = 'failed' end
    end
  end
  table.insert(flat, 1, 'hash')
  return flat
end
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
