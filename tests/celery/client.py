"""The Python side of tests/celery.rs: a plain Celery client (send_task, AsyncResult.get) that
talks to whatever consumes the queue, confq or a real Celery worker, and prints one JSON line.

usage: client.py REDIS_URL QUEUE SCENARIO [ARGS...]
"""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from celery import Celery
from celery.result import AsyncResult

url, queue, scenario, *rest = sys.argv[1:]
app = Celery("client", broker=url, backend=url)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=True)
TIMEOUT = float(__import__("os").environ.get("CELERY_TEST_TIMEOUT", "30"))


def send(task, kwargs=None, args=None, **options):
    return app.send_task(task, args=args, kwargs=kwargs, queue=queue, **options)


def outcome(result):
    """What the caller sees: the result, or the exception's class name and message."""
    try:
        value = result.get(timeout=TIMEOUT)
        return {"id": result.id, "state": result.state, "result": value}
    except Exception as error:  # the caller's view of a failure
        message = error.args[0] if error.args else str(error)
        return {"id": result.id, "state": result.state, "exc_type": type(error).__name__,
                "message": message}


def main():
    if scenario == "echo":
        # kombu sends a datetime as {"__type__": "datetime", "__value__": ...}: it must come back
        # untouched, so the client decodes it to the same datetime.
        payload = {"a": 1, "nested": {"b": [1, 2, None]}, "text": "héllo",
                   "when": datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)}
        got = outcome(send("confq.echo", kwargs=payload))
        same = got.get("result") == payload
        print(json.dumps({**got, "same": same}, default=str))
    elif scenario == "positional-object":
        print(json.dumps(outcome(send("confq.echo", args=[{"x": 1}]))))
    elif scenario == "positional":
        print(json.dumps(outcome(send("confq.echo", args=[1, 2]))))
    elif scenario == "fail":
        print(json.dumps(outcome(send("confq.fail", kwargs={"kind": "permanent"}))))
    elif scenario == "unknown":
        print(json.dumps(outcome(send("no.such.task", kwargs={}))))
    elif scenario == "many":
        n = int(rest[0])
        results = [send("confq.echo", kwargs={"i": i}) for i in range(n)]
        got = [r.get(timeout=TIMEOUT) for r in results]
        print(json.dumps({"sent": n, "returned": sum(1 for i, g in enumerate(got) if g == {"i": i})}))
    elif scenario == "send-priorities":
        # Queued while nothing consumes; collected later with `collect`.
        ids = [send("confq.echo", kwargs={"priority": p}, priority=p).id for p in (9, 6, 3, 0)]
        print(json.dumps({"ids": ids}))
    elif scenario == "send-sleeps":
        n, ms = int(rest[0]), int(rest[1])
        print(json.dumps({"ids": [send("confq.sleep", kwargs={"ms": ms}).id for _ in range(n)]}))
    elif scenario == "collect":
        ids = json.loads(rest[0])
        out = []
        for task_id in ids:
            r = AsyncResult(task_id, app=app)
            out.append({"id": task_id, **outcome(r), "date_done": str(r.date_done)})
        print(json.dumps(out))
    elif scenario == "countdown":
        started = time.monotonic()
        result = send("confq.echo", kwargs={"late": True}, countdown=2)
        got = outcome(result)
        print(json.dumps({**got, "elapsed": time.monotonic() - started}))
    elif scenario == "expired":
        past = datetime.now(timezone.utc) - timedelta(seconds=5)
        print(json.dumps(outcome(send("confq.echo", kwargs={"never": True}, expires=past))))
    elif scenario == "pickle":
        print(json.dumps(outcome(send("confq.echo", kwargs={"x": 1}, serializer="pickle"))))
    elif scenario == "ingest":
        obj, filename = rest
        print(json.dumps(outcome(send("ingest.parse_upload",
                                      kwargs={"object": obj, "filename": filename}))))
    else:
        sys.exit(f"unknown scenario {scenario}")


main()
