from django.db import migrations

from shopcrm.rls import tenant_policy_replace

TABLES = [
    "messaging_consentevent",
    "messaging_outboundmessage",
    "messaging_suppression",
    "messaging_webhookevent",
    "messaging_erasurerequest",
]


class Migration(migrations.Migration):
    dependencies = [("messaging", "0005_staff_invitation"), ("shopcrm", "0005_tenant_boundary")]

    operations = [tenant_policy_replace(table) for table in TABLES]
