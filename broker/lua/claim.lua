-- Move up to N elements pending -> processing and lease each one to the caller.
-- KEYS[1] pending list  KEYS[2] processing list  KEYS[3] lease zset  KEYS[4] token hash
-- ARGV[1] max elements  ARGV[2] lease ms  ARGV[3] token base (unique per call)
-- Returns: flat array {element, token, element, token, ...} (empty when pending is empty)
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local raw = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not raw then break end
  local token = ARGV[3] .. ':' .. i
  redis.call('ZADD', KEYS[3], deadline, raw)
  redis.call('HSET', KEYS[4], raw, token)
  out[#out + 1] = raw
  out[#out + 1] = token
end
return out
