-- Read-only: the elements whose lease deadline has passed, with their current token.
-- KEYS[1] lease zset  KEYS[2] token hash
-- ARGV[1] max elements
-- Returns: flat array {element, token, ...} (token '' when none is stored)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local raws = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, raw in ipairs(raws) do
  out[#out + 1] = raw
  out[#out + 1] = redis.call('HGET', KEYS[2], raw) or ''
end
return out
