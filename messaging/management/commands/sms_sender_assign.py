import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from messaging.sms.senders import sender_assign
from shopcrm.management.commands._validation import as_command_error
from shopcrm.selectors import shop_by_slug
from shopcrm.tenancy import shop_context


class Command(BaseCommand):
    help = (
        "Give a shop its SMS sender (a number of the platform's Twilio account, a Messaging Service SID or, "
        "where carriers allow it, a name), or take it back with --release. One sender belongs to one shop; "
        "every change is logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True, help="the shop's slug")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--sender", help="+E.164 number, MG… Messaging Service SID, or a name")
        which.add_argument("--release", action="store_true", help="back to the platform's shared number")
        parser.add_argument("--operator", default="", help="who does it (default: the system user)")
        parser.add_argument("--reason", default="")

    def handle(self, *args, **opts):
        shop = shop_by_slug(opts["shop"])
        if shop is None:
            raise CommandError(f"No shop with the slug “{opts['shop']}”.")
        operator = opts["operator"] or getpass.getuser()
        try:
            with shop_context(shop):
                shop = sender_assign(
                    shop=shop,
                    sender="" if opts["release"] else opts["sender"],
                    operator=operator,
                    reason=opts["reason"],
                )
        except ValidationError as exc:
            raise as_command_error(exc) from exc
        self.stdout.write(f"{shop.slug} texts from {shop.sms_sender or 'the shared number'}")
