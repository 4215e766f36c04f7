from django.db import migrations

from shopcrm.rls import password_function


class Migration(migrations.Migration):
    """Passwords change only through a function that wants the app's proof (grants: shopcrm.dbroles)."""

    dependencies = [("shopcrm", "0007_tenant_functions_without_set")]

    operations = [password_function()]
