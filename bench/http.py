"""Talking to a gunicorn the benchmark started on loopback."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in_session(base: str, email: str, password: str) -> requests.Session:
    """Wait for the server to answer, then sign in as a member of staff; returns the session."""
    session = requests.Session()
    for _ in range(150):
        try:
            session.get(f"{base}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    session.get(f"{base}/accounts/login/", timeout=5)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise RuntimeError(f"bench sign-in failed ({response.status_code})")
    # Signing in rotates the CSRF token; a page with a form hands out the new one.
    session.get(f"{base}/customers/new/", timeout=10)
    return session


@contextmanager
def gunicorn() -> Iterator[str]:
    """A gunicorn (2 sync workers, bench settings) on a free loopback port, for the block; yields its URL."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shopcrm.settings.bench"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shopcrm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--log-level", "warning"],
        env=env,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def celery_worker_command(*queues: str, concurrency: int = 1) -> list[str]:
    """A Celery worker on the bench's own queues (never a running `make run`'s), quiet."""
    return [sys.executable, "-m", "celery", "-A", "shopcrm", "worker", "--concurrency", str(concurrency)] + [
        "-Q",
        ",".join(queues),
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "warning",
    ]


def purge_queues(*queues: str) -> None:
    """Empty the bench's own Celery queues (what a benchmark queued and no worker took)."""
    from shopcrm.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for name in queues:
            # A queue that was never declared has nothing to purge.
            with contextlib.suppress(Exception):
                channel.queue_purge(name)
