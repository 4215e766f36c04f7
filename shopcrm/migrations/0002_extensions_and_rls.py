from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

from shopcrm.rls import enable_rls_v1


class Migration(migrations.Migration):
    dependencies = [("shopcrm", "0001_initial")]

    operations = [
        CreateExtension("pg_trgm"),
        CreateExtension("unaccent"),
        CreateExtension("citext"),
        # A signed-in user may read their own memberships in every shop, to choose one.
        enable_rls_v1(
            "shopcrm_staffmembership",
            extra_using="user_id = nullif(current_setting('app.user_id', true), '')::bigint",
        ),
    ]
