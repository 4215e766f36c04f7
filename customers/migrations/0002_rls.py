from django.db import migrations

from shopcrm.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        enable_rls("customers_customer"),
        enable_rls("customers_tag"),
        enable_rls("customers_customertag"),
        enable_rls("customers_pet"),
        enable_rls("customers_customerchange"),
    ]
