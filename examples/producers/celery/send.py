"""A Celery producer whose tasks confq runs: plain Celery, only the queue name is confq's.

Run a worker that takes Celery's default queue:

    confq worker --celery-queue celery

then:

    python3 -m pip install 'celery[redis]'
    python3 examples/producers/celery/send.py [redis://127.0.0.1:6379/0]

It sends `confq.echo` (its kwargs come back as its result) and `confq.fail` (raises in Python
with the task's message), and prints what the caller sees. See docs/celery.md.
"""
import sys

from celery import Celery

url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
# JSON only: confq dead-letters pickle (and tells the caller with a FAILURE).
app = Celery("producer", broker=url, backend=url)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])

echo = app.send_task("confq.echo", kwargs={"hello": "confq", "n": 42}, queue="celery")
print("confq.echo ->", echo.get(timeout=30))

failing = app.send_task("confq.fail", kwargs={"kind": "permanent"}, queue="celery")
try:
    failing.get(timeout=30)
except Exception as error:  # a class generated from exc_type: PermanentError
    print(f"confq.fail -> {type(error).__name__}: {error}")

# A Splunk archive the service already put in confq's storage (CONFQ_STORAGE_URL), by key:
#   app.send_task("ingest.parse_upload", kwargs={"object": "team/apps.tgz", "filename": "apps.tgz"})
