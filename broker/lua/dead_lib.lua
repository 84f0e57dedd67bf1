-- Shared functions of the scripts that write a dead-letter zset (scripts.rs prepends this file).
-- A dead letter's score is its sequence number: ms of death * 1000 + n, unique and increasing, so
-- "older than sequence S" is a page cursor that inserts and removals cannot shift. Records of
-- earlier confq versions were scored by plain ms (below LEGACY); dead_upgrade renumbers them.
local DEAD_SCALE = 1000
local DEAD_LEGACY = '(100000000000000'

local function dead_score(n)
  return string.format('%.0f', n)
end

-- The next free sequence number at time now_ms (never below the newest one present).
local function dead_next(key, now_ms)
  local seq = now_ms * DEAD_SCALE
  local top = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
  if top[2] and tonumber(top[2]) >= seq then seq = tonumber(top[2]) + 1 end
  return seq
end

-- Renumbers plain-ms records (oldest first, ties in member order); returns how many.
local function dead_upgrade(key)
  if redis.call('ZCOUNT', key, '-inf', DEAD_LEGACY) == 0 then return 0 end
  local rows = redis.call('ZRANGE', key, '-inf', DEAD_LEGACY, 'BYSCORE', 'WITHSCORES')
  local last = -1
  for i = 1, #rows, 2 do
    local seq = math.max(tonumber(rows[i + 1]) * DEAD_SCALE, last + 1)
    redis.call('ZADD', key, dead_score(seq), rows[i])
    last = seq
  end
  return #rows / 2
end

-- Drops records older than max_age_ms, then the oldest past max_len; returns how many.
local function dead_trim(key, now_ms, max_len, max_age_ms)
  dead_upgrade(key)
  local cutoff = dead_score((now_ms - max_age_ms) * DEAD_SCALE)
  local n = redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. cutoff)
  return n + redis.call('ZREMRANGEBYRANK', key, 0, -(max_len + 1))
end

-- Adds one record under the next sequence number and applies the caps; returns its score (text).
local function dead_add(key, record, now_ms, max_len, max_age_ms)
  dead_upgrade(key)
  local seq = dead_score(dead_next(key, now_ms))
  redis.call('ZADD', key, seq, record)
  dead_trim(key, now_ms, max_len, max_age_ms)
  return seq
end

