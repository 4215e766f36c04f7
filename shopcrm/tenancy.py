"""The one way code reaches tenant rows: inside a transaction that entered its shop.

PostgreSQL row-level security (see `shopcrm.rls`) shows a transaction only the rows of the shop it entered
through `shopcrm_tenant_enter`, which wants a proof made with a key the app derives from `SECRET_KEY`. Nothing
that runs as SQL can make one, so neither a forgotten filter nor an injected statement reaches another shop.
Requests enter from `TenantMiddleware` (`request_scope`); tasks, commands and streaming responses use
`shop_context` themselves. Work that must span shops (the outbox sweeper, a provider webhook that only knows a
message id, file purges, the benchmark loader) uses `cross_shop(reason)`, which runs on the separate
`platform` connection (its own role and policy) and logs the reason every time.

Which shop a transaction is in is kept here, per connection, as a stack that the context managers push and
pop; it is never read back from the database, where a statement could have changed it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils.crypto import salted_hmac

logger = logging.getLogger("shopcrm.tenancy")

PLATFORM_ALIAS = "platform"
# A proof is accepted for this long after it is made (it also names the backend it was made for).
PROOF_SECONDS = 300

# Set inside `cross_shop`: the ORM's queries go to the platform connection (see shopcrm.dbrouter).
platform_mode: ContextVar[bool] = ContextVar("shopcrm_platform_mode", default=False)


@cache
def _key(secret_key: str) -> bytes:
    return salted_hmac("shopcrm.tenancy", "tenant-key", secret=secret_key, algorithm="sha256").digest()


def tenant_key() -> bytes:
    """The key of the proofs (HMAC-SHA256)."""
    return _key(settings.SECRET_KEY)


def tenant_key_pads() -> tuple[bytes, bytes]:
    """The key XORed with HMAC's inner and outer pads, as `shopcrm.dbroles` stores it for the database's
    functions, which compute HMAC with the built-in sha256()."""
    block = tenant_key().ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _scope(shop_id: int | None, user_id: int | None, platform: bool) -> str:
    return f"{'' if shop_id is None else shop_id}:{'' if user_id is None else user_id}:" + (
        "platform" if platform else ""
    )


def _signature(message: str) -> str:
    """HMAC-SHA256 with the tenant key, as the database's functions compute it (`shopcrm.rls._hmac`)."""
    return hmac.new(tenant_key(), message.encode(), hashlib.sha256).hexdigest()


def _proof(scope: str, pid: int, expires: int) -> str:
    return _signature(f"enter:{scope}:{pid}:{expires}")


def _backend_pid(conn) -> int:
    conn.ensure_connection()
    return conn.connection.info.backend_pid


def _enter_args(conn, shop_id: int | None, user_id: int | None, platform: bool = False) -> list:
    pid = _backend_pid(conn)
    expires = int(time.time()) + PROOF_SECONDS
    return [shop_id, user_id, platform, expires, _proof(_scope(shop_id, user_id, platform), pid, expires)]


ENTER_SQL = "select shopcrm_tenant_enter(%s, %s, %s, %s, %s)"


def _enter(conn, scope: tuple | None) -> None:
    with conn.cursor() as cursor:
        if scope is None:
            cursor.execute(
                "select set_config('shopcrm.scope', '', true), set_config('shopcrm.seal', '', true)"
            )
        else:
            cursor.execute(ENTER_SQL, _enter_args(conn, *scope))


def _stack(conn) -> list:
    stack = getattr(conn, "_shopcrm_scopes", None)
    if stack is None:
        stack = conn._shopcrm_scopes = []
    return stack


@contextmanager
def _pushed(conn, scope: tuple) -> Iterator[None]:
    stack = _stack(conn)
    stack.append(scope)
    try:
        yield
    finally:
        stack.pop()


@contextmanager
def _scoped(conn, scope: tuple, until_commit: bool) -> Iterator[None]:
    if until_commit:
        # The caller owns a transaction that ends with this block (a request): no savepoint, no restore.
        if not conn.in_atomic_block:
            raise RuntimeError("until_commit needs an open transaction")
        _enter(conn, scope)
        with _pushed(conn, scope):
            yield
        return
    if not conn.in_atomic_block:
        # The block is the whole transaction: the scope ends with it, nothing to restore.
        with transaction.atomic(using=conn.alias):
            _enter(conn, scope)
            with _pushed(conn, scope):
                yield
        return
    stack = _stack(conn)
    previous = stack[-1] if stack else None
    if previous == scope:
        # Already there (a service called from a request in its shop): no savepoint, no round trip.
        with _pushed(conn, scope):
            yield
        return
    with transaction.atomic(using=conn.alias):
        _enter(conn, scope)
        with _pushed(conn, scope):
            yield
        # On an exception, or a block marked for rollback, the savepoint (or the transaction) rolls back
        # and the scope with it.
        if not transaction.get_rollback(using=conn.alias):
            _enter(conn, previous)


@contextmanager
def shop_context(shop, *, until_commit: bool = False) -> Iterator[None]:
    """Open (or join) a transaction in which only `shop`'s rows exist. Accepts a Shop or its id.

    Nests: leaving an inner context restores the outer shop for the rest of the transaction. Inside a
    `cross_shop` block it still means this one shop, on the app's own connection.
    `until_commit=True` is for a caller whose own transaction ends with the block (the request middleware):
    it skips the savepoint and the restore, which would only cost round trips.
    """
    shop_id = getattr(shop, "pk", shop)
    if shop_id is None:
        raise ValueError("shop_context needs a saved shop")
    conn = connections[DEFAULT_DB_ALIAS]
    token = platform_mode.set(False)
    try:
        with _scoped(conn, (int(shop_id), _current_user(conn), False), until_commit):
            yield
    finally:
        platform_mode.reset(token)


def _current_user(conn) -> int | None:
    stack = _stack(conn)
    return stack[-1][1] if stack else None


@contextmanager
def request_scope(user, shop_id: int | None) -> Iterator[None]:
    """For the request middleware, inside its transaction: the signed-in user (or the id the session names,
    before the account is read) and the shop the session chose,
    in one round trip. The user alone lets the user read their own memberships in every shop; the middleware
    corrects the shop with `shop_context(until_commit=True)` or `user_scope` when the user does not work
    there."""
    user_id = getattr(user, "pk", user)
    with _scoped(connection, (int(shop_id) if shop_id else None, int(user_id), False), until_commit=True):
        yield


@contextmanager
def no_scope() -> Iterator[None]:
    """Nobody and no shop for the rest of the request's transaction (its session named an account that is
    gone or no longer valid)."""
    with _scoped(connection, (None, None, False), until_commit=True):
        yield


@contextmanager
def user_scope(user) -> Iterator[None]:
    """No shop, only the user's own memberships (the session named a shop the user no longer works in)."""
    with _scoped(connection, (None, int(user.pk), False), until_commit=True):
        yield


@contextmanager
def cross_shop(reason: str) -> Iterator:
    """Genuinely cross-shop work, on the platform connection: every shop's rows, and a log line with the
    reason. Yields that connection for raw SQL; ORM queries inside the block are routed to it. Its
    transaction is its own: writes in the block commit when the block ends, separately from the caller's."""
    if not reason:
        raise ValueError("cross_shop needs a reason")
    logger.warning("cross-shop access: %s", reason)
    conn = connections[PLATFORM_ALIAS]
    token = platform_mode.set(True)
    try:
        with _scoped(conn, (None, None, True), until_commit=False):
            yield conn
    finally:
        platform_mode.reset(token)


def password_store(user, using: str | None = None) -> None:
    """Store `user.password` (already hashed) through the database function that wants a proof: the app
    role itself may not UPDATE the column, so an injected statement cannot give anyone a known password."""
    from django.db import router

    conn = connections[using or router.db_for_write(type(user), instance=user)]
    expires = int(time.time()) + PROOF_SECONDS
    proof = _signature(f"password:{int(user.pk)}:{user.password}:{_backend_pid(conn)}:{expires}")
    with conn.cursor() as cursor:
        cursor.execute(
            "select shopcrm_password_set(%s, %s, %s, %s)", [int(user.pk), user.password, expires, proof]
        )


@contextmanager
def account_scope(user_id: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Act as the account `user_id` (the shop, if any, stays entered): for reading and changing one's own
    staff account, which row-level security admits only to its owner or to the shops it works in. The app's
    code decides when that is right (signing in, the session's own user, a password reset link checked)."""
    conn = connections[using]
    stack = _stack(conn)
    shop_id = stack[-1][0] if stack and not stack[-1][2] else None
    with _scoped(conn, (shop_id, int(user_id), False), until_commit=False):
        yield


def _next_id(conn, table: str) -> int:
    with conn.cursor() as cursor:
        cursor.execute("select nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        return cursor.fetchone()[0]


def account_new_id(using: str = DEFAULT_DB_ALIAS) -> int:
    """An id for a staff account about to be created: it is created inside its own scope
    (`account_scope`), the only one whose policy lets it be inserted."""
    return _next_id(connections[using], "shopcrm_user")


def shop_new_id() -> int:
    """An id for a shop about to be created, inside its own scope (`shop_context`)."""
    return _next_id(connections[DEFAULT_DB_ALIAS], "shopcrm_shop")


def account_find(email: str) -> int | None:
    """The id of the staff account whose email is `email` (any case), or None: through the database function
    that answers the app's code only, before anyone is signed in (sign-in, password reset, invitations)."""
    email = (email or "").strip()
    if not email or "\x00" in email:
        return None
    conn = connections[DEFAULT_DB_ALIAS]
    expires = int(time.time()) + PROOF_SECONDS
    proof = _signature(f"account-find:{email}:{_backend_pid(conn)}:{expires}")
    with conn.cursor() as cursor:
        cursor.execute("select shopcrm_account_find(%s, %s, %s)", [email, expires, proof])
        return cursor.fetchone()[0]


def account_store(user, using: str | None = None) -> None:
    """Store a staff account's email, activity and session epoch through the database function that wants a
    proof: the app role itself may not UPDATE those columns."""
    from django.db import router

    conn = connections[using or router.db_for_write(type(user), instance=user)]
    expires = int(time.time()) + PROOF_SECONDS
    active = "true" if user.is_active else "false"
    message = f"account:{int(user.pk)}:{user.email}:{active}:{int(user.session_epoch)}"
    proof = _signature(f"{message}:{_backend_pid(conn)}:{expires}")
    with conn.cursor() as cursor:
        cursor.execute(
            "select shopcrm_account_set(%s, %s, %s, %s, %s, %s)",
            [int(user.pk), user.email, bool(user.is_active), int(user.session_epoch), expires, proof],
        )


def shop_find(slug: str) -> int | None:
    """The id of the shop whose slug is `slug` (slugs are public), or None."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("select shopcrm_shop_find(%s)", [slug])
        return cursor.fetchone()[0]


def current_shop_id() -> int | None:
    """The shop the database holds this transaction to (None outside one): asked of the database."""
    with connection.cursor() as cursor:
        cursor.execute("select shopcrm_tenant_shop()")
        return cursor.fetchone()[0]


def stream_in_shop(shop, chunks: Iterable) -> Iterator:
    """Wrap a streaming response body: it is iterated after the view's transaction has ended."""
    with shop_context(shop):
        yield from chunks
