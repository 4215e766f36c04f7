from django.core.management.commands.flush import Command as DjangoFlush

from shopcrm.dbroles import owner_alias_for


class Command(DjangoFlush):
    help = DjangoFlush.help + " Runs as the owner of the tables (the `owner` database) when one is set."

    def handle(self, **options):
        # TRUNCATE ignores row-level security, so the app's role is not allowed it; the owner is.
        options["database"] = owner_alias_for(options["database"])
        return super().handle(**options)
