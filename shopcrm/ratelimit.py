"""Fixed-window counters in the shared cache (Redis): how many times something happened in the current
window, across every web and worker process. For what a stranger can trigger (a reset email, a code texted,
an invitation) and what costs the platform money (a test text): each caller says what it counts and how
much is too much, and answers the same way whether or not the address exists."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches


def _cache():
    # Its own cache where one is configured (the tests empty it before each test), else the shared one.
    return caches["ratelimit" if "ratelimit" in settings.CACHES else "default"]


def _key(scope: str, subject: str, window: int) -> str:
    # Addresses and IPs are hashed: no personal value in a cache key (keys show in Redis's monitoring).
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:24]
    return f"ratelimit:{scope}:{digest}:{int(time.time()) // window}"


def hit(scope: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one more for `subject` (an address, an IP, a shop id) under `scope`; False once it is past
    `limit` within the current `window` seconds. A limit of 0 or less means no limit."""
    if limit <= 0 or not subject:
        return True
    key, cache = _key(scope, subject, window), _cache()
    cache.add(key, 0, timeout=window + 5)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=window + 5)
        return True


def hits(scope: str, subjects: list[str], *, limit: int, window: int) -> bool:
    """`hit` for each subject (all are counted); False if any is past its limit."""
    results = [hit(scope, subject, limit=limit, window=window) for subject in subjects]
    return all(results)
