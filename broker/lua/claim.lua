-- Move up to N elements pending -> processing and lease each one to the caller. With a fifth key
-- (the Celery list a `--celery-queue` queue is named after, same slot), take from it once
-- pending is empty: Celery tasks that came back as v1 envelopes go first.
-- KEYS[1] pending list  KEYS[2] processing list  KEYS[3] lease zset  KEYS[4] token hash
-- KEYS[5] (optional) Celery list
-- ARGV[1] max elements  ARGV[2] lease ms  ARGV[3] token base (unique per call)
-- Returns: flat array {element, token, element, token, ...} (empty when nothing is waiting)
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local out = {}
local n = 0
for _, source in ipairs({KEYS[1], KEYS[5]}) do
  while n < tonumber(ARGV[1]) do
    local raw = redis.call('LMOVE', source, KEYS[2], 'RIGHT', 'LEFT')
    if not raw then break end
    n = n + 1
    local token = ARGV[3] .. ':' .. n
    redis.call('ZADD', KEYS[3], deadline, raw)
    redis.call('HSET', KEYS[4], raw, token)
    out[#out + 1] = raw
    out[#out + 1] = token
  end
end
return out
