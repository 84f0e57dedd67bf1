"""A real Python Celery app with the two diagnostic tasks of confq, so tests/celery.rs can run the
same client scenarios against Celery's own worker and compare."""
import os

from celery import Celery

url = os.environ["CELERY_TEST_REDIS_URL"]
app = Celery("celery_app", broker=url, backend=url)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                task_acks_late=True, worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True)


class PermanentError(Exception):
    """The class confq reports for a permanent failure."""


@app.task(name="confq.echo")
def echo(**kwargs):
    return kwargs


@app.task(name="confq.fail")
def fail(kind="permanent"):
    raise PermanentError(f"confq.fail asked for a {kind} failure")
