from django.db import migrations

from shopcrm.rls import enable_rls_v1


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_outbox")]

    operations = [
        enable_rls_v1("messaging_outboundmessage"),
        enable_rls_v1("messaging_suppression"),
        enable_rls_v1("messaging_webhookevent"),
        enable_rls_v1("messaging_erasurerequest"),
    ]
