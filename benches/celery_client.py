"""The Python side of benches/celery.rs: Celery's own client against whatever consumes QUEUE.

usage: celery_client.py REDIS_URL QUEUE BURST SEQUENTIAL
Prints one JSON line: the burst's tasks/s (BURST send_task calls, then every AsyncResult.get)
and the round-trip latency (send_task to get() returning) of SEQUENTIAL tasks one at a time.
"""
import json
import sys
import time

from celery import Celery

url, queue, burst, sequential = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app = Celery("bench", broker=url, backend=url)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])


def send(i):
    return app.send_task("confq.echo", kwargs={"i": i}, queue=queue)


# Warm up (connections, the consumer's first fetch).
send(-1).get(timeout=60)

started = time.monotonic()
results = [send(i) for i in range(burst)]
for i, r in enumerate(results):
    assert r.get(timeout=120) == {"i": i}
burst_seconds = time.monotonic() - started

latencies = []
for i in range(sequential):
    t = time.monotonic()
    assert send(i).get(timeout=60) == {"i": i}
    latencies.append((time.monotonic() - t) * 1000)
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(round(p / 100 * len(latencies) + 0.5)) - 1)]


print(json.dumps({"tasks_per_sec": burst / burst_seconds, "p50_ms": pct(50), "p99_ms": pct(99)}))
