"""Production-like settings for benchmarks on loopback: DEBUG off, no TLS redirect, fixed key."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-only-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# The application's URLs and the benchmark's no-op floor (bench/urls.py).
ROOT_URLCONF = "bench.urls"
