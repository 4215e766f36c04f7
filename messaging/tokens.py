"""Signed links in messages. One salt per purpose; no personal data in the token (ids and a state hash).

Verify and SMS-confirm links expire and are single-use: they carry a hash of the state they change, so
once the state has changed the same link no longer matches. Unsubscribe and preferences links never expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils.crypto import salted_hmac

VERIFY_MAX_AGE = timedelta(days=7)
SMS_CONFIRM_MAX_AGE = timedelta(days=30)
# A copy of everything the shop holds: a fresh link, sent on request to the customer's address.
DATA_COPY_MAX_AGE = timedelta(days=1)
SALTS = {
    "verify": "messaging.verify",
    "unsubscribe": "messaging.unsubscribe",
    "preferences": "messaging.preferences",
    "sms": "messaging.sms_confirm",
    "data": "messaging.data_copy",
}


class TokenExpired(Exception):
    """Genuine but too old; `token` still says which shop sent it, to answer in its name and language."""

    def __init__(self, token: Token):
        super().__init__("expired")
        self.token = token


class TokenInvalid(Exception):
    pass


@dataclass(frozen=True)
class Token:
    shop_id: int
    customer_id: int
    state: str


def state_hash(customer, purpose: str) -> str:
    """A short hash of what the link will change; empty for links that are not single-use."""
    if purpose == "verify":
        value = f"{customer.email.lower()}|{customer.email_status}"
    elif purpose == "sms":
        value = f"{customer.phone}|{customer.sms_status}"
    elif purpose == "data":
        # Only to the address it was sent to: a changed email voids the link.
        value = customer.email.lower()
    else:
        return ""
    return salted_hmac(SALTS[purpose], value, algorithm="sha256").hexdigest()[:12]


def make(customer, purpose: str) -> str:
    payload = [customer.shop_id, customer.pk, state_hash(customer, purpose)]
    return signing.TimestampSigner(salt=SALTS[purpose]).sign_object(payload, compress=True)


def read(token: str, purpose: str) -> Token:
    max_age = {"verify": VERIFY_MAX_AGE, "sms": SMS_CONFIRM_MAX_AGE, "data": DATA_COPY_MAX_AGE}.get(purpose)
    signer = signing.TimestampSigner(salt=SALTS[purpose])
    try:
        shop_id, customer_id, state = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        shop_id, customer_id, state = signer.unsign_object(token)
        raise TokenExpired(Token(int(shop_id), int(customer_id), str(state))) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise TokenInvalid from exc
    return Token(int(shop_id), int(customer_id), str(state))
