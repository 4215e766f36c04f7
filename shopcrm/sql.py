"""Helpers for the few statements written by hand around an ORM queryset."""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


def ids_select(queryset: QuerySet, field: str = "pk") -> tuple[str, tuple]:
    """SQL (and its positional parameters) selecting the `field` of each row of `queryset`, to embed as
    `… in (<sql>)`. A queryset Django already knows to be empty (`pk__in=[]`, a search that found nobody)
    has no SQL of its own: it becomes a select of no rows."""
    try:
        return queryset.values(field).query.sql_with_params()
    except EmptyResultSet:
        return "select null::bigint where false", ()


def connections_drop() -> None:
    """Close every open database connection, so that the next statement opens a fresh one (PostgreSQL
    restarted under them). A connection already broken may fail to close; it is dropped all the same."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:
            conn.connection = None
