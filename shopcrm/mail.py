"""Staff emails (not customer messages: those are outbox rows in `messaging`)."""

from email.utils import format_datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shopcrm.selectors import account_get


def password_reset_send(*, user_id: int, language: str) -> bool:
    """Send the reset link to an active account (one an invitation created may not have a password yet).
    Returns whether a mail went out. The link is made here, in the worker, and never stored."""
    user = account_get(user_id=user_id)
    if user is None or not user.is_active:
        return False
    with translation.override(user.language or language):
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {"user": user, "reset_url": settings.SITE_URL + path}
        subject = render_to_string("registration/password_reset_subject.txt", context).strip()
        body = render_to_string("registration/password_reset_email.txt", context)
    # RFC 3834: written by a program, so vacation responders stay quiet; dated with its zone (UTC).
    message = EmailMultiAlternatives(
        subject,
        body,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated", "Date": format_datetime(timezone.now())},
    )
    message.send()
    return True
