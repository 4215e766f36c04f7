from django.core.management.commands.migrate import Command as DjangoMigrate

from shopcrm.dbroles import owner_alias_for


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the owner of the tables (the `owner` database) when one is set."

    def handle(self, *args, **options):
        # The app's role may not create or alter tables; the owner's connection to the same database does.
        options["database"] = owner_alias_for(options["database"])
        return super().handle(*args, **options)
