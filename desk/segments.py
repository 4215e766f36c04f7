"""Segments: the client list's filters saved under a name, shared by the shop's admins, opened by the list,
its count and its export (and, next, by campaigns) exactly as the filters they hold.

Services and selectors both; every function takes `shop`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Segment
from desk.saved_search import tidy
from shopcrm.http import id_from

NAME_MAX = Segment._meta.get_field("name").max_length


def segment_list(*, shop) -> list[Segment]:
    return list(Segment.objects.filter(shop=shop).select_related("created_by"))


def segment_get(*, shop, pk) -> Segment:
    """The segment of `shop` with this id; Segment.DoesNotExist for anything else (another shop's too)."""
    if (pk := id_from(pk)) is None:
        raise Segment.DoesNotExist
    return Segment.objects.get(shop=shop, pk=pk)


def segment_params(segment: Segment, extra: QueryDict | None = None) -> QueryDict:
    """The segment's filters as list parameters; `extra` adds what is not a filter (sort, cursor)."""
    params = QueryDict(segment.filters, mutable=True)
    for key, values in (extra or QueryDict()).lists():
        if key != "segment":
            params.setlist(key, values)
    return params


@transaction.atomic
def segment_save(*, shop, by, name: str, params: QueryDict) -> Segment:
    """Save the list's filters (`params`, the search text resolved) as segment `name`; the same name again
    replaces that segment's filters. Raises ValidationError {"name": …}."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the segment a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("At most %(limit)d characters.") % {"limit": NAME_MAX}})
    filters = tidy(params).urlencode()
    now = timezone.now()
    try:
        with transaction.atomic():
            segment, created = Segment.objects.select_for_update().get_or_create(
                shop=shop, name=name, defaults={"filters": filters, "created_by": by, "created_at": now}
            )
    except IntegrityError:  # the same name saved at the same moment by another admin
        segment, created = Segment.objects.select_for_update().get(shop=shop, name=name), False
    if not created:
        segment.filters, segment.updated_at = filters, now
        segment.save(update_fields=["filters", "updated_at"])
    return segment


def segment_delete(*, shop, segment: Segment) -> None:
    if segment.shop_id != shop.pk:
        raise Segment.DoesNotExist
    Segment.objects.filter(shop=shop, pk=segment.pk).delete()
