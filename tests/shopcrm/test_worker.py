"""A real Celery worker process consuming from the real broker (no eager mode)."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from shopcrm.celery import app
from shopcrm.tasks import ping


@pytest.fixture
def worker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shopcrm.settings.test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shopcrm", "worker", "--pool", "solo"]
        + ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip", "--without-mingle"]
        + ["--loglevel", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    yield proc
    proc.terminate()
    proc.wait(20)


def test_a_real_worker_runs_a_task_through_redis(worker):
    assert not app.conf.task_always_eager
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token])
    assert result.get(timeout=60) == f"pong:{token}"
