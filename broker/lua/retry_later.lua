-- A failed attempt that will be retried: processing -> delayed (the new element has attempt+1).
-- A task a cancel reached while it ran is not retried: it ends `cancelled`.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] delayed zset  KEYS[5] stats hash
-- KEYS[6] results hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] new element  ARGV[4] delay ms  ARGV[5] error type
-- ARGV[6] task id  ARGV[7] cancel record TTL ms  ARGV[8] task name as JSON text  ARGV[9] attempt
-- Returns: 1 when moved; 2 when cancelled instead; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[5], 'failed', 1)
redis.call('HINCRBY', KEYS[5], 'failed:' .. ARGV[5], 1)
if state_cancel_requested(KEYS[6], ARGV[6]) then
  state_cancelled(KEYS[6], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
  redis.call('HINCRBY', KEYS[5], 'cancelled', 1)
  return 2
end
redis.call('ZADD', KEYS[4], state_now() + tonumber(ARGV[4]), ARGV[3])
redis.call('HINCRBY', KEYS[5], 'retried', 1)
return 1
