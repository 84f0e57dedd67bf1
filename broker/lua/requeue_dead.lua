-- Take one dead letter out of the dead zset and push its (fresh-budget) element onto pending; the
-- task's recorded state goes (it is pending again).
-- KEYS[1] dead zset  KEYS[2] pending list  KEYS[3] results hash
-- ARGV[1] dead-letter record (exact member)  ARGV[2] element to enqueue  ARGV[3] task id
-- Returns: 1 when requeued; 0 when the record is gone (someone else requeued or purged it)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[3])
return 1
