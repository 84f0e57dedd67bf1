"""Celery side of the peer benchmark: one task doing one INCR, acks_late, prefork pool."""
import os

import redis
from celery import Celery

URL = os.environ["PEERS_REDIS_URL"]
app = Celery("peers", broker=URL)
app.conf.update(
    task_acks_late=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
_redis = None


@app.task(name="peers.incr")
def incr(key):
    global _redis
    if _redis is None:  # one connection per pool process, made after the fork
        _redis = redis.Redis.from_url(URL)
    _redis.incr(key)
