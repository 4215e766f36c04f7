"""Staff-account tasks. They take ids only; the work is in plain functions they call."""

from celery import shared_task

from shopcrm import mail


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
