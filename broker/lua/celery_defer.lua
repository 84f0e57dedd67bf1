-- Hold a Celery task whose `eta` is still ahead: it leaves processing (if the caller holds its
-- lease) and waits in the delayed set, as its v1 envelope, until its due time.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] delayed zset
-- ARGV[1] element  ARGV[2] token  ARGV[3] envelope to delay  ARGV[4] due time (ms since the epoch)
-- Returns: 1 when deferred; 0 when the token is stale (nothing changed)
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
state_unlease(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return 1
