-- Finish a task: drop it from processing and drop its lease, if the caller holds the lease; record
-- its state `succeeded` (with its result) for the result TTL (state_lib.lua).
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- KEYS[5] results hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] task id  ARGV[4] state TTL ms (0: none)
-- ARGV[5] task name as JSON text
-- ARGV[6] attempt  ARGV[7] result (JSON text; 'null' for none)
-- Returns: 1 when acked; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[4], 'processed', 1)
state_write(KEYS[5], ARGV[3], ARGV[4], state_now(), 'succeeded', ARGV[5], ARGV[6],
  ',"result":' .. ARGV[7])
return 1
