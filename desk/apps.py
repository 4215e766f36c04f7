from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The admin's desk above customers and loyalty: the client list and its filters, segments, exports,
    imports, merges and duplicates. Its data lives in customers' models; it holds none of its own."""

    name = "desk"
    verbose_name = _("Client desk")
