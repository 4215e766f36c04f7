from django.db import migrations

from shopcrm.rls import tenant_policy_replace

TABLES = [
    "customers_customer",
    "customers_tag",
    "customers_customertag",
    "customers_pet",
    "customers_customerchange",
    "customers_namekey",
    "customers_export",
    "customers_import",
    "customers_merge",
]


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_change_actions"), ("shopcrm", "0005_tenant_boundary")]

    operations = [tenant_policy_replace(table) for table in TABLES]
