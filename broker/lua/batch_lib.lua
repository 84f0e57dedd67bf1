-- The shared function of the scripts that write many elements at once (scripts/mod.rs prepends
-- this file). A redis.call costs about as much as the work of one element, so these scripts
-- gather their writes and send one variadic command per structure.

-- `cmd key` over `list`, 1,000 arguments per call (Lua's unpack has a stack limit; pairs stay
-- whole since 1,000 is even).
local function batched(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
