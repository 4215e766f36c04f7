from django.db import migrations

from shopcrm.rls import tenant_functions


class Migration(migrations.Migration):
    """The policy functions again, without a SET clause (schema-qualified instead): cheaper per call."""

    dependencies = [("shopcrm", "0006_invitations")]

    operations = [tenant_functions()]
