from django.db import migrations

from shopcrm.rls import enable_rls_v1


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [enable_rls_v1("messaging_consentevent")]
