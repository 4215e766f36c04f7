"""What each message says, rendered in the shop's language. Links are absolute (SITE_URL) and signed."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from messaging import tokens
from messaging.consent import wording
from messaging.models import INVITATION_LINK, PREFERENCES_LINK, UNSUBSCRIBE_LINK, Channel


@dataclass
class Rendered:
    subject: str
    text: str
    html: str = ""
    headers: dict = field(default_factory=dict)


def link(customer, purpose: str, route: str) -> str:
    return settings.SITE_URL + reverse(route, args=[tokens.make(customer, purpose)])


def welcome_email(shop, customer) -> Rendered:
    """The welcome email: greeting by name, the shop, verify / preferences links, and an unsubscribe footer
    plus RFC 8058 one-click headers (every email carries them)."""
    with translation.override(shop.language):
        unsubscribe = link(customer, "unsubscribe", "messaging:unsubscribe")
        context = {
            "shop": shop,
            "customer": customer,
            "verify_url": link(customer, "verify", "messaging:verify"),
            "preferences_url": link(customer, "preferences", "messaging:preferences"),
            "unsubscribe_url": unsubscribe,
            "statement": wording.current("email").text(shop),
        }
        subject = _("Welcome to %(shop)s") % {"shop": shop.name}
        text = render_to_string("messaging/email/welcome.txt", context)
        html = render_to_string("messaging/email/welcome.html", {**context, "subject": subject})
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Rendered(subject=subject, text=text, html=html, headers=headers)


def sms_opt_in(shop, customer) -> Rendered:
    """Short: the catalogue's current sentence (it names the shop and says how to stop), then asks for
    confirmation (reply or link). Plain text, not HTML-escaped; the French and English wordings stay in
    GSM-7 (`messaging.sms.segments`)."""
    with translation.override(shop.language):
        text = render_to_string(
            "messaging/sms/opt_in.txt",
            {
                "statement": wording.current("sms").text(shop),
                "confirm_url": link(customer, "sms", "messaging:sms_confirm"),
            },
        ).strip()
    return Rendered(subject="", text=text)


def sms_which_shop(shop) -> Rendered:
    """To a number several shops asked at once: a YES cannot say which; each shop's link can. Names none of
    the shops (one shop's reply must not tell of another's customer)."""
    with translation.override(shop.language):
        text = render_to_string("messaging/sms/which_shop.txt", {}).strip()
    return Rendered(subject="", text=text)


def sms_help(shop) -> Rendered:
    """The answer to HELP: the shop, how to reach it (whatever of phone and email it set), STOP and START.
    Texts are plain text: rendered without HTML escaping ("Joe's Pets & Co", not "Joe&#x27;s…")."""
    contact = " ".join(part for part in (shop.contact_phone, shop.contact_email) if part)
    with translation.override(shop.language):
        text = render_to_string("messaging/sms/help.txt", {"shop": shop, "contact": contact}).strip()
    return Rendered(subject="", text=text)


def sms_stopped(shop, *, several: bool) -> Rendered:
    """The one confirmation of an opt-out. A STOP that several shops' customers share names none of them."""
    with translation.override(shop.language):
        text = render_to_string("messaging/sms/stopped.txt", {"shop": shop, "several": several}).strip()
    return Rendered(subject="", text=text)


def staff_invitation(shop, membership, *, invited_by) -> Rendered:
    """The invitation to work in a shop: who invited, the role, and where the link goes (it is put in when
    the email is sent): to choose a password for an account the invitation created, or to sign in and
    accept. Nothing of the account is used but its address."""
    from shopcrm.invitations import wants_password

    with translation.override(membership.user.language or shop.language):
        context = {
            "shop": shop,
            "membership": membership,
            "email": membership.user.email,
            "name": membership.invited_name,
            "invited_by": invited_by,
            "url": INVITATION_LINK,
            "new_account": wants_password(membership),
            "days": settings.INVITATION_LINK_DAYS,
        }
        subject = _("You are invited to %(shop)s on shopcrm") % {"shop": shop.name}
        text = render_to_string("messaging/email/staff_invitation.txt", context)
    # RFC 3834: written by a program, so vacation responders stay quiet.
    return Rendered(subject=subject, text=text, headers={"Auto-Submitted": "auto-generated"})


def order_ready(shop, customer, channel: str, *, reference: str, what: str = "") -> Rendered:
    """Tell a customer their order is ready: the shop, the ticket's reference (and what it is). A service
    message: no marketing, and the text stays in GSM-7 ("disponible", not "prête") so it fits one segment.
    The email ends with the preferences link, where service messages can be turned off."""
    with translation.override(shop.language):
        context = {"shop": shop, "customer": customer, "reference": reference, "what": what}
        if channel == Channel.SMS:
            return Rendered(
                subject="", text=render_to_string("messaging/sms/order_ready.txt", context).strip()
            )
        context["preferences_url"] = link(customer, "preferences", "messaging:preferences")
        subject = _("%(shop)s: your order %(reference)s is ready") % {
            "shop": shop.name,
            "reference": reference,
        }
        text = render_to_string("messaging/email/order_ready.txt", context)
    return Rendered(subject=subject, text=text, headers={"Auto-Submitted": "auto-generated"})


def erasure_done(shop) -> Rendered:
    """The last email to an erased customer: what went, what the shop keeps (impersonal proof of consent
    and an address fingerprint) and why. Names nobody: it is sent as their data goes."""
    contact = " · ".join(part for part in (shop.contact_email, shop.contact_phone) if part)
    with translation.override(shop.language):
        subject = _("Your data at %(shop)s has been erased") % {"shop": shop.name}
        text = render_to_string("messaging/email/erasure_done.txt", {"shop": shop, "contact": contact})
    return Rendered(subject=subject, text=text, headers={"Auto-Submitted": "auto-generated"})


def data_copy(shop, customer) -> Rendered:
    """The link to a copy of everything the shop holds, asked for from the preferences page; it works for a
    day and only while the address is the one it went to."""
    with translation.override(shop.language):
        context = {"shop": shop, "url": link(customer, "data", "messaging:data_copy")}
        subject = _("Your data at %(shop)s") % {"shop": shop.name}
        text = render_to_string("messaging/email/data_copy.txt", context)
    return Rendered(subject=subject, text=text, headers={"Auto-Submitted": "auto-generated"})


def marketing_email(shop, *, subject: str, text: str, html: str) -> Rendered:
    """A campaign's email in the shop's layout: its text and its HTML body (already safe), then the shop's
    name and address, the unsubscribe and preferences links (put in per customer by the worker, which also
    adds the RFC 8058 one-click headers) and the privacy notice."""
    links = {"unsubscribe_url": UNSUBSCRIBE_LINK, "preferences_url": PREFERENCES_LINK}
    with translation.override(shop.language):
        body_text = render_to_string("messaging/email/marketing.txt", {"shop": shop, "body": text, **links})
        body_html = render_to_string(
            "messaging/email/marketing.html",
            {"shop": shop, "subject": subject, "body_html": mark_safe(html), **links},  # noqa: S308
        )
    return Rendered(subject=subject, text=body_text, html=body_html)


def marketing_sms(shop, *, text: str) -> Rendered:
    """A campaign's text: the shop's name first, the message, then how to stop (every marketing text says
    both). Plain text, not HTML-escaped."""
    with translation.override(shop.language):
        body = render_to_string("messaging/sms/marketing.txt", {"shop": shop, "body": text.strip()}).strip()
    return Rendered(subject="", text=body)
