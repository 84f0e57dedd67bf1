-- Record a task's state in Celery's Redis result-backend format and publish it (the Python
-- client's `AsyncResult.get()` reads the key once, then listens on the channel of the same name).
-- A stored SUCCESS is final: it is never overwritten.
-- KEYS[1] result key (`celery-task-meta-<id>`)
-- ARGV[1] result document (JSON)  ARGV[2] TTL ms
-- Returns: 1 when written and published; 0 when a SUCCESS was already stored
local current = redis.call('GET', KEYS[1])
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and doc.status == 'SUCCESS' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
