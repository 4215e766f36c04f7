from django.db import migrations

from shopcrm.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_outbox")]

    operations = [
        enable_rls("messaging_outboundmessage"),
        enable_rls("messaging_suppression"),
        enable_rls("messaging_webhookevent"),
        enable_rls("messaging_erasurerequest"),
    ]
