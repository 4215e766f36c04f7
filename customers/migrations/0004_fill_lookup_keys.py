from django.db import migrations

from shopcrm.rls import enable_rls_v1

FILL = """
select set_config('app.cross_shop', 'on', true);
update customers_customer
   set email_key = lower(email),
       phone_rev = reverse(regexp_replace(phone, '[^0-9]', '', 'g'))
 where email_key = '' and email <> '' or phone_rev = '' and phone <> '';
insert into customers_namekey (shop_id, key)
select distinct shop_id, last_name_key from customers_customer where last_name_key <> ''
on conflict do nothing;
select set_config('app.cross_shop', '', true);
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_lookup_keys")]

    operations = [
        enable_rls_v1("customers_namekey"),
        # Existing rows get their lookup keys; this runs across shops, once, inside the migration.
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
