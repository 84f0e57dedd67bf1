-- Move up to N elements pending -> processing and lease each one to the caller. With a fifth key
-- (the Celery list a `--celery-queue` queue is named after, same slot), take from it once
-- pending is empty: Celery tasks that came back as v1 envelopes go first.
-- The elements move as a block (LRANGE + LTRIM + one LPUSH) and are leased with one ZADD and one
-- HSET (batch_lib.lua), so a claim of many costs a few commands, not three per element; the lists end up exactly
-- as that many `LMOVE source processing RIGHT LEFT` would leave them.
-- KEYS[1] pending list  KEYS[2] processing list  KEYS[3] lease zset  KEYS[4] token hash
-- KEYS[5] (optional) Celery list
-- ARGV[1] max elements  ARGV[2] lease ms  ARGV[3] token base (unique per call)
-- Returns: flat array {element, token, element, token, ...} (empty when nothing is waiting)
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local max = tonumber(ARGV[1])
local out, moved, leases, tokens = {}, {}, {}, {}
for _, source in ipairs({KEYS[1], KEYS[5]}) do
  local want = max - #moved
  if want <= 0 then break end
  -- The consuming end is the right: the last element of the range is taken first.
  local block = redis.call('LRANGE', source, -want, -1)
  if #block > 0 then
    redis.call('LTRIM', source, 0, -#block - 1)
    for i = #block, 1, -1 do
      local raw = block[i]
      moved[#moved + 1] = raw
      local token = ARGV[3] .. ':' .. #moved
      leases[#leases + 1] = deadline
      leases[#leases + 1] = raw
      tokens[#tokens + 1] = raw
      tokens[#tokens + 1] = token
      out[#out + 1] = raw
      out[#out + 1] = token
    end
  end
end
batched('LPUSH', KEYS[2], moved)
batched('ZADD', KEYS[3], leases)
batched('HSET', KEYS[4], tokens)
return out
