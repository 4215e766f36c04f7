from django.db import migrations

from shopcrm.rls import enable_rls_v1


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        enable_rls_v1("customers_customer"),
        enable_rls_v1("customers_tag"),
        enable_rls_v1("customers_customertag"),
        enable_rls_v1("customers_pet"),
        enable_rls_v1("customers_customerchange"),
    ]
