from .base import *  # noqa: F403
from .base import BASE_DIR, env

# `make run` behaves as production does, on loopback: DEBUG off (the shop's own error pages), static files
# collected first and served by WhiteNoise, compressed, under hashed names cached for a year. DEBUG=1 in
# the environment gives Django's debug pages back.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-for-anything-real")
STATIC_ROOT = BASE_DIR / ".data" / "static"
# Every message the shop sent, with its links clickable (the top bar's "Outbox", for admins).
DEV_OUTBOX = env.bool("DEV_OUTBOX", default=True)

# Links in messages point at the local server `make run` serves.
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('PORT', default='8000')}").rstrip("/")
