from django.db import migrations

from shopcrm.rls import platform_tables


class Migration(migrations.Migration):
    """Staff accounts and shops under row-level security like every tenant row; an account's email, activity
    and session epoch change only through a function that wants the app's proof (grants: shopcrm.dbroles)."""

    dependencies = [("shopcrm", "0013_sender_owned")]

    operations = [platform_tables()]
