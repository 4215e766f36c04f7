"""A real Celery worker process consuming from the real broker (no eager mode)."""

import uuid

from shopcrm.celery import app
from shopcrm.tasks import ping


def test_a_real_worker_runs_a_task_through_redis(start_worker):
    start_worker()
    assert not app.conf.task_always_eager
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token])
    assert result.get(timeout=60) == f"pong:{token}"
