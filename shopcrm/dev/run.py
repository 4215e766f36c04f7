"""One supervisor for local work: `python -m shopcrm.dev.run run` and `python -m shopcrm.dev.run exec -- CMD`.

It starts the embedded PostgreSQL and Redis unless `DATABASE_URL` / `REDIS_URL` point elsewhere, and stops on
exit exactly what it started (a server another supervisor already runs is reused and left alone).
`run` migrates, seeds the demo once, then runs the web server, a Celery worker and beat until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack

from shopcrm.dev import embedded

PYTHON = sys.executable


def _say(message: str) -> None:
    print(f"[shopcrm] {message}", flush=True)


def start_services(stack: ExitStack) -> dict[str, str]:
    """Make sure a database and a broker are reachable; return the environment pointing at them."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        if embedded.postgres_start():
            _say(f"embedded PostgreSQL started ({embedded.PG_DATA})")
            stack.callback(_stop_postgres)
        else:
            _say("embedded PostgreSQL already running: reusing it")
        embedded.ensure_roles()
        env["DATABASE_URL"] = embedded.database_url(embedded.APP_ROLE)
        env["DATABASE_OWNER_URL"] = embedded.database_url(embedded.OWNER_ROLE)
        env["DATABASE_PLATFORM_URL"] = embedded.database_url(embedded.PLATFORM_ROLE)
    if not env.get("REDIS_URL"):
        proc = embedded.redis_start()
        if proc is not None:
            _say(f"embedded Redis started ({embedded.REDIS_SOCKET})")
            stack.callback(_stop_redis, proc)
        else:
            _say("embedded Redis already running: reusing it")
        env["REDIS_URL"] = embedded.redis_url()
    return env


def _stop_postgres() -> None:
    _say("stopping embedded PostgreSQL")
    embedded.postgres_stop()


def _stop_redis(proc: subprocess.Popen) -> None:
    _say("stopping embedded Redis")
    embedded.redis_stop(proc)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], env=env, check=True, cwd=embedded.BASE_DIR)


def run() -> int:
    with ExitStack() as stack:
        env = start_services(stack)
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "seed_demo", "--if-empty")
        # Served as production serves them (WhiteNoise, compressed, hashed names cached for a year).
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        port = env.get("PORT", "8000")
        children = {
            "web": [PYTHON, "manage.py", "runserver", "--nostatic", f"127.0.0.1:{port}"],
            "worker": [PYTHON, "-m", "celery", "-A", "shopcrm", "worker", "-l", "info"]
            + ["--concurrency", "2", "--without-gossip", "--without-mingle"],
            "beat": [PYTHON, "-m", "celery", "-A", "shopcrm", "beat", "-l", "info"]
            + ["--schedule", str(embedded.DATA_DIR / "celerybeat-schedule")],
        }
        procs = {
            name: subprocess.Popen(cmd, env=env, cwd=embedded.BASE_DIR) for name, cmd in children.items()
        }
        time.sleep(1.5)
        _say(f"shopcrm is running at http://127.0.0.1:{port}/")
        subprocess.run([PYTHON, "manage.py", "seed_demo", "--print-logins"], env=env, check=False)
        _say("Ctrl-C stops the web server, the worker, beat and the embedded servers.")
        return _wait(procs)


def _wait(procs: dict[str, subprocess.Popen]) -> int:
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    parent = os.getppid()
    while not stopping:
        if os.getppid() != parent:
            _say("the command that started us has gone; stopping")
            stopping = True
        for name, proc in procs.items():
            if proc.poll() is not None:
                _say(f"{name} exited with status {proc.returncode}; stopping the rest")
                code = proc.returncode or 1
                stopping = True
        time.sleep(0.3)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


def exec_(command: list[str]) -> int:
    with ExitStack() as stack:
        env = start_services(stack)
        return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopcrm.dev.run")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("run", help="serve the app with a worker and beat (make run)")
    ex = sub.add_parser("exec", help="run a command with the database and broker up (make test)")
    ex.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.action == "run":
        return run()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("exec needs a command")
    return exec_(command)


if __name__ == "__main__":
    sys.exit(main())
