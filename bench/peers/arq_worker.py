"""arq side of the peer benchmark: one coroutine doing one INCR on arq's own pool."""
import os

from arq.connections import RedisSettings


async def incr(ctx, key):
    await ctx["redis"].incr(key)


class WorkerSettings:
    functions = [incr]
    redis_settings = RedisSettings.from_dsn(os.environ["PEERS_REDIS_URL"])
    max_jobs = int(os.environ.get("PEERS_CONCURRENCY", "16"))
    keep_result = 0
    handle_signals = True
