-- A worker stopped a running task a cancel reached: drop it from processing, record `cancelled`.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] stats hash
-- KEYS[5] results hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] task id  ARGV[4] cancel record TTL ms  ARGV[5] task name as JSON text
-- ARGV[6] attempt
-- Returns: 1 when recorded; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
state_cancelled(KEYS[5], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
return 1
