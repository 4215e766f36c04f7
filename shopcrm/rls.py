"""Row-level security for tenant tables, as migration operations.

Every table with a `shop_id` gets `ENABLE` + `FORCE ROW LEVEL SECURITY` and one policy that admits a
row only when its shop is the transaction's `app.shop_id` (or inside a logged `cross_shop` block).
No setting means no rows: the policy fails closed.
"""

from django.db import migrations

SHOP_MATCH = "shop_id = nullif(current_setting('app.shop_id', true), '')::bigint"
CROSS = "current_setting('app.cross_shop', true) = 'on'"
POLICY = "tenant_isolation"


def enable_rls(table: str, *, extra_using: str = "") -> migrations.RunSQL:
    """`extra_using` widens what may be read (never what may be written)."""
    using = f"({SHOP_MATCH}) or ({CROSS})"
    if extra_using:
        using = f"{using} or ({extra_using})"
    check = f"({SHOP_MATCH}) or ({CROSS})"
    return migrations.RunSQL(
        sql=[
            f"alter table {table} enable row level security",
            f"alter table {table} force row level security",
            f"create policy {POLICY} on {table} using ({using}) with check ({check})",
        ],
        reverse_sql=[
            f"drop policy if exists {POLICY} on {table}",
            f"alter table {table} no force row level security",
            f"alter table {table} disable row level security",
        ],
    )
