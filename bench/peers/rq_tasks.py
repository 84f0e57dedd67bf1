"""RQ side of the peer benchmark: one function doing one INCR."""
import os

import redis

_redis = None


def incr(key):
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ["PEERS_REDIS_URL"])
    _redis.incr(key)
