"""The client list's search text stays out of addresses.

What an admin types in the list's search box is often a phone number or an email, and an address ends up in
browser history, proxy and server logs, and links pasted into chats. So the text travels in the request
body (the filter form posts it) and the address holds `search=<key>`, a key to the text kept in the
person's own session; the other filters stay in the address, readable and shareable. A link whose key is
not in the session (someone else's) shows the list without the search, and says so.
"""

from __future__ import annotations

import secrets

from django.http import QueryDict

SEARCH_PARAM = "search"
SESSION_KEY = "customer_list_searches"
KEEP = 30
# Query-string keys that are not filters: the page cursor and the export format.
NOT_FILTERS = ("cursor", "format")


def remember(session, text: str) -> str:
    """The key of `text` in this session (the same text keeps its key); the oldest ones are forgotten."""
    saved = dict(session.get(SESSION_KEY, {}))
    for key, value in saved.items():
        if value == text:
            return key
    key = secrets.token_urlsafe(6)
    saved[key] = text
    while len(saved) > KEEP:
        saved.pop(next(iter(saved)))
    session[SESSION_KEY] = saved
    return key


def resolve(session, data: QueryDict) -> tuple[QueryDict, bool]:
    """The list's parameters with `search=<key>` turned back into the text (`q`). Returns them and
    whether a key was given that this session does not know."""
    resolved = data.copy()
    key = resolved.pop(SEARCH_PARAM, [""])[-1]
    if not key:
        return resolved, False
    text = session.get(SESSION_KEY, {}).get(key)
    if text is None:
        return resolved, True
    resolved["q"] = text
    return resolved, False


def address_query(session, data: QueryDict) -> str:
    """The filters as the address bar and the list's links show them: no cursor, no empty values, and the
    search text replaced by its key."""
    shown = QueryDict(mutable=True)
    for key, values in tidy(data).lists():
        if key == "q":
            text = values[-1].strip()
            if text:
                shown[SEARCH_PARAM] = remember(session, text)  # where the text was
        elif key != SEARCH_PARAM:
            shown.setlist(key, values)
    return shown.urlencode()


def audit_query(data: QueryDict) -> str:
    """The filters in full, search text included: what an export's audit record keeps (in the database,
    never in an address)."""
    kept = tidy(data)
    kept.pop(SEARCH_PARAM, None)
    return kept.urlencode()


def tidy(data: QueryDict) -> QueryDict:
    """The filters only: no cursor or format, no CSRF token, no empty values."""
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        values = [v for v in values if v]
        if key not in NOT_FILTERS and key != "csrfmiddlewaretoken" and values:
            kept.setlist(key, values)
    return kept
