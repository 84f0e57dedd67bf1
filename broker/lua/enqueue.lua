-- Push elements onto pending (the first is consumed first) and wake idle consumers of the queue.
-- KEYS[1] pending list
-- ARGV[1] wake channel  ARGV[2..] elements, in order
-- Returns: the number of elements pushed
for i = 2, #ARGV, 1000 do
  redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PUBLISH', ARGV[1], '1')
return #ARGV - 1
