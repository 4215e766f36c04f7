"""The one way code reaches tenant rows: inside a transaction that names its shop.

PostgreSQL row-level security (see `shopcrm.rls`) shows a session only the rows whose `shop_id` equals the
transaction-local setting `app.shop_id`; with no setting it shows nothing. Requests get the setting from
`TenantMiddleware`; tasks, commands and streaming responses use `shop_context` themselves. Work that must
span shops (a platform sweeper, a provider webhook that only knows a message id) uses `cross_shop`, which
is logged with its reason every time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

logger = logging.getLogger("shopcrm.tenancy")

SHOP_SETTING = "app.shop_id"
USER_SETTING = "app.user_id"
CROSS_SETTING = "app.cross_shop"


def _get(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("select coalesce(current_setting(%s, true), '')", [name])
        return cursor.fetchone()[0]


def _set(name: str, value: str) -> None:
    # set_config(..., is_local => true) is SET LOCAL with a bind parameter: gone at commit or rollback.
    with connection.cursor() as cursor:
        cursor.execute("select set_config(%s, %s, true)", [name, value])


def _swap(name: str, value: str) -> str:
    """Set `name` for the rest of the transaction and return its previous value, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select coalesce(current_setting(%s, true), ''), set_config(%s, %s, true)", [name, name, value]
        )
        return cursor.fetchone()[0]


@contextmanager
def _setting(name: str, value: str, until_commit: bool = False) -> Iterator[None]:
    if until_commit:
        # The caller owns a transaction that ends with this block (a request): no savepoint, no restore.
        if not connection.in_atomic_block:
            raise RuntimeError("until_commit needs an open transaction")
        _set(name, value)
        yield
        return
    if not connection.in_atomic_block:
        # The block is the whole transaction: the setting ends with it, nothing to restore.
        with transaction.atomic():
            _set(name, value)
            yield
        return
    with transaction.atomic():
        previous = _swap(name, value)
        yield
        # On an exception, or a block marked for rollback, the savepoint (or the transaction) rolls back
        # and the setting with it.
        if not transaction.get_rollback():
            _set(name, previous)


def shop_context(shop, *, until_commit: bool = False) -> contextmanager:
    """Open (or join) a transaction in which only `shop`'s rows exist. Accepts a Shop or its id.

    Nests: leaving an inner context restores the outer shop for the rest of the transaction.
    `until_commit=True` is for a caller whose own transaction ends with the block (the request middleware):
    it skips the savepoint and the restore, which would only cost round trips.
    """
    shop_id = getattr(shop, "pk", shop)
    if shop_id is None:
        raise ValueError("shop_context needs a saved shop")
    return _setting(SHOP_SETTING, str(int(shop_id)), until_commit)


@contextmanager
def cross_shop(reason: str) -> Iterator[None]:
    """Escape hatch for genuinely cross-shop work. Always give a reason: it is logged."""
    if not reason:
        raise ValueError("cross_shop needs a reason")
    logger.warning("cross-shop access: %s", reason)
    with _setting(CROSS_SETTING, "on"):
        yield


def request_settings(user, shop_id: int | None) -> None:
    """For the request middleware, inside its transaction: the signed-in user and the shop the session
    chose, in one round trip (both transaction-local, gone at commit). The middleware corrects the shop
    with `shop_context` when the user turns out not to work there."""
    if not connection.in_atomic_block:
        raise RuntimeError("request_settings needs an open transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "select set_config(%s, %s, true), set_config(%s, %s, true)",
            [USER_SETTING, str(int(user.pk)), SHOP_SETTING, str(int(shop_id)) if shop_id else ""],
        )


def current_shop_id() -> int | None:
    value = _get(SHOP_SETTING)
    return int(value) if value else None


def stream_in_shop(shop, chunks: Iterable) -> Iterator:
    """Wrap a streaming response body: it is iterated after the view's transaction has ended."""
    with shop_context(shop):
        yield from chunks
