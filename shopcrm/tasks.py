"""Staff-account tasks, and how any task is queued from a request. Tasks take ids only; the work is in
plain functions they call."""

import logging

from celery import shared_task
from django.db import transaction

from shopcrm import mail

logger = logging.getLogger(__name__)


def publish_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (a rolled-back request queues nothing).
    A broker outage is logged, never raised: the request already succeeded, and what it recorded says
    what is still to do."""

    def publish():
        try:
            task.apply_async(args=args, retry=False)
        except Exception:
            logger.exception("could not queue %s", task.name)

    transaction.on_commit(publish)


@shared_task(name="shopcrm.ping", ignore_result=False)
def ping(token: str) -> str:
    """Round trip through the broker and a worker, for health checks and tests."""
    return f"pong:{token}"


@shared_task(
    name="shopcrm.send_password_reset",
    acks_late=True,
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=10,
    retry_backoff_max=600,
)
def send_password_reset(user_id: int, language: str) -> None:
    """Email a password-reset link to an active staff account. Safe to run twice (a second link is sent)."""
    mail.password_reset_send(user_id=user_id, language=language)
