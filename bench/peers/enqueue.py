"""`python enqueue.py SYSTEM N KEY`: enqueues N one-INCR tasks with SYSTEM's own client (run with
that system's virtualenv: arq pins an older redis-py than Celery and RQ)."""
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def celery(n, key):
    from celery_app import incr

    for _ in range(n):
        incr.delay(key)


def rq(n, key):
    import redis
    from rq import Queue

    import rq_tasks

    queue = Queue("peers", connection=redis.Redis.from_url(os.environ["PEERS_REDIS_URL"]))
    for start in range(0, n, 1000):
        size = min(1000, n - start)
        queue.enqueue_many([Queue.prepare_data(rq_tasks.incr, (key,), result_ttl=0) for _ in range(size)])


def arq(n, key):
    from arq import create_pool
    from arq.connections import RedisSettings

    async def main():
        pool = await create_pool(RedisSettings.from_dsn(os.environ["PEERS_REDIS_URL"]))
        for start in range(0, n, 1000):
            await asyncio.gather(*(pool.enqueue_job("incr", key) for _ in range(min(1000, n - start))))
        await pool.aclose()

    asyncio.run(main())


if __name__ == "__main__":
    system, n, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {"celery": celery, "rq": rq, "arq": arq}[system](n, key)
