import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-but-long-enough-for-signing-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests read messages from memory; a worker process started by a test writes them to files instead.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
SMS_BACKEND = env("SMS_BACKEND", default="messaging.sms.backends.locmem.SmsBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A dedicated queue so that a test worker never takes tasks meant for a running `make run`.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="shopcrm-test")
AXES_FAILURE_LIMIT = 5
# Tests send texts whatever the hour they run at; tests/messaging/test_send_windows.py turns the windows on
# with fixed clocks.
SMS_SEND_WINDOWS = env.bool("SMS_SEND_WINDOWS", default=False)
# The worker test reads a task's return value back through Redis.
CELERY_RESULT_BACKEND = CELERY_BROKER_URL  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{os.getpid()}"
CELERY_BULK_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-bulk"
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(CELERY_BULK_QUEUE)]  # noqa: F405
# Tests send as fast as they can unless one turns the rates on (tests/messaging/test_throttle.py).
SEND_RATES = {"email": {}, "sms": {}}

# Serve static files straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default=f"shopcrm-test-{os.getpid()}")  # noqa: F405
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "test-media"))  # noqa: F405
# The sign-in throttle counts in its own in-process cache here, emptied before each test (tests/conftest.py),
# as the database rows it once used were rolled back: one test's failures never lock out the next one's user.
CACHES["axes"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "axes"}  # noqa: F405
AXES_CACHE = "axes"
# The same for the rate limits of messages (shopcrm.ratelimit).
CACHES["ratelimit"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}  # noqa: F405
