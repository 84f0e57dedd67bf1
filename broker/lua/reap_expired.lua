-- Fail an expired lease (error type timeout): processing -> delayed, or -> dead when retries are used up.
-- Only when the token still matches and the deadline has passed, so concurrent reapers do no double work.
-- A task a cancel reached while it ran ends `cancelled` instead.
-- KEYS[1] processing list  KEYS[2] lease zset  KEYS[3] token hash  KEYS[4] delayed zset
-- KEYS[5] dead zset  KEYS[6] stats hash  KEYS[7] results hash
-- ARGV[1] element  ARGV[2] token  ARGV[3] new element (attempt+1)  ARGV[4] delay ms, or -1 to dead-letter
-- ARGV[5] dead-letter record (JSON)  ARGV[6] dead max count  ARGV[7] dead max age ms
-- ARGV[8] task id  ARGV[9] state TTL ms (0: none)  ARGV[10] cancel record TTL ms  ARGV[11] task name as JSON text
-- ARGV[12] attempt
-- Returns: 1 when reaped; 2 when cancelled; 0 when someone else already moved it or the lease was extended
local raw = ARGV[1]
if redis.call('HGET', KEYS[3], raw) ~= ARGV[2] then return 0 end
local now = state_now()
local deadline = redis.call('ZSCORE', KEYS[2], raw)
if not deadline or tonumber(deadline) > now then return 0 end
state_unlease(KEYS[1], KEYS[2], KEYS[3], raw)
if state_cancel_requested(KEYS[7], ARGV[8]) then
  state_cancelled(KEYS[7], ARGV[8], ARGV[10], ARGV[11], ARGV[12])
  redis.call('HINCRBY', KEYS[6], 'cancelled', 1)
  return 2
end
redis.call('HINCRBY', KEYS[6], 'expired', 1)
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('HINCRBY', KEYS[6], 'failed:timeout', 1)
local delay = tonumber(ARGV[4])
if delay < 0 then
  local seq = dead_add(KEYS[5], ARGV[5], now, tonumber(ARGV[6]), tonumber(ARGV[7]))
  redis.call('HINCRBY', KEYS[6], 'dead_lettered', 1)
  if tonumber(ARGV[9]) > 0 then
    local reason = cjson.encode(cjson.decode(ARGV[5]).reason)
    state_write(KEYS[7], ARGV[8], ARGV[9], now, 'dead', ARGV[11], ARGV[12],
      ',"error":' .. reason .. ',"dead_seq":"' .. seq .. '"')
  end
else
  redis.call('ZADD', KEYS[4], now + delay, ARGV[3])
  redis.call('HINCRBY', KEYS[6], 'retried', 1)
end
return 1
