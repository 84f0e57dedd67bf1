-- Take one dead letter out of the dead zset and push its (fresh-budget) element onto pending.
-- KEYS[1] dead zset  KEYS[2] pending list
-- ARGV[1] dead-letter record (exact member)  ARGV[2] element to enqueue
-- Returns: 1 when requeued; 0 when the record is gone (someone else requeued or purged it)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
return 1
