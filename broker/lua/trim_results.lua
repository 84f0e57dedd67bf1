-- One step of the reaper's walk over a queue's results hash: drop the recorded states (and cancel
-- markers) whose expiry has passed (state_lib.lua). HSCAN visits every field present for the
-- whole walk at least once, so a walk started after a state expired drops it.
-- KEYS[1] results hash
-- ARGV[1] HSCAN cursor ('0' starts a walk)  ARGV[2] fields to look at (HSCAN COUNT)
-- Returns: {next cursor ('0' when the walk is over), number dropped}
local reply = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', tonumber(ARGV[2]))
local now = state_now()
local fields = reply[2]
local gone = {}
for i = 1, #fields, 2 do
  local expiry = state_expiry(fields[i + 1])
  if expiry and expiry <= now then gone[#gone + 1] = fields[i] end
end
if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
return {reply[1], #gone}
