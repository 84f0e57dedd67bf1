-- Renumber dead letters an earlier confq scored by plain ms, so every record has a unique
-- sequence number (run before listing; the writers of the zset do it too).
-- KEYS[1] dead zset
-- Returns: number of records renumbered
return dead_upgrade(KEYS[1])
