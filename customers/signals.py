"""What customers tell the layers above without importing them (loyalty moves its cards and ledger with a
merge, and gives them back when it is undone)."""

from django.dispatch import Signal

# Sent inside the merge's transaction, both rows locked, before `other` is deleted:
# shop, survivor, other, snapshot (a dict saved with the merge: a receiver records there what it moved).
customers_merged = Signal()
# Sent inside the undo's transaction once `other` exists again: shop, survivor, other, snapshot.
merge_undone = Signal()
