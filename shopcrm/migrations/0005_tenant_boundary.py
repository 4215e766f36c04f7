from django.db import migrations

from shopcrm.rls import TENANT_USER, tenant_functions, tenant_policy_replace


class Migration(migrations.Migration):
    """Tenants are entered with a proof and sealed per transaction; the `app.*` settings no longer count."""

    dependencies = [("shopcrm", "0004_settings_and_sessions")]

    operations = [
        tenant_functions(),
        # A signed-in user may read their own memberships in every shop, to choose one.
        tenant_policy_replace("shopcrm_staffmembership", extra_using=TENANT_USER),
    ]
