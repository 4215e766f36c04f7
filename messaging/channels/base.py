"""What every channel provides (see the package's docstring)."""

from __future__ import annotations

from typing import ClassVar


class TransientSendError(Exception):
    """The provider may accept this message later."""


class MessageChannel:
    """One channel. Subclasses set the class attributes and implement the methods that raise here."""

    code: ClassVar[str]
    # The customer's field holding the address, and the one caching their consent on this channel.
    address_field: ClassVar[str]
    status_field: ClassVar[str]
    status_none: ClassVar[str]
    status_pending: ClassVar[str]
    # Marketing consent: confirmed here, or single opt-in the shop's previous software recorded.
    consenting: ClassVar[tuple[str, ...]]
    # The person said no (unsubscribed, STOP) / the address cannot receive (a bounce).
    withdrawn: ClassVar[tuple[str, ...]]
    unreachable: ClassVar[tuple[str, ...]] = ()
    # Suppression reasons the customer's own opt-in lifts.
    lifted_by_customer: ClassVar[tuple[str, ...]]
    # The outbox kind that asks for consent on this channel.
    request_kind: ClassVar[str]

    # --- addresses and statuses -------------------------------------------------------------------------

    def address(self, customer) -> str:
        """The customer's address on this channel, as text ('' when they have none)."""
        value = getattr(customer, self.address_field)
        return str(value) if value else ""

    def normal(self, address) -> str:
        """The form addresses are compared and hashed in."""
        raise NotImplementedError

    def normal_sql(self, table: str) -> str:
        """`normal` in SQL, over the address column of the customers aliased `table`."""
        raise NotImplementedError

    def status(self, customer) -> str:
        return getattr(customer, self.status_field)

    def status_of_suppressed(self, reason: str) -> str:
        """The status an address suppressed for `reason` starts from."""
        raise NotImplementedError

    def shop_refusal(self, shop) -> str | None:
        """Why `shop` may not send on this channel at all now (None: it may)."""
        return None

    def request_refusal(self, shop, customer) -> str | None:
        """Why staff may not ask this customer for consent here now (None: they may). The suppression list
        is consent's to read; this is what the channel itself refuses."""
        raise NotImplementedError

    def request_render(self, shop, customer):
        """The message asking for consent (`messaging.render.Rendered`)."""
        raise NotImplementedError

    def refusal_to_send(self, message, customer) -> str | None:
        """What this channel forbids a consent-relying message to a customer whose status is `customer`'s."""
        if self.status(customer) in self.withdrawn + self.unreachable:
            return self.withdrawn_reason
        return None

    withdrawn_reason: ClassVar[str] = "the customer withdrew"

    # --- sending -------------------------------------------------------------------------------------------

    def sender_for(self, shop) -> str:
        raise NotImplementedError

    def headers_for(self, shop) -> dict:
        """Headers every message of `shop` on this channel carries."""
        return {}

    def unsubscribe_headers(self, unsubscribe_url: str) -> dict:
        """Headers a marketing message carries for its one-click unsubscribe (none where the channel has
        no such thing)."""
        return {}

    def waits_for_window(self) -> bool:
        """Whether consent requests and marketing on this channel wait for the shop's send window."""
        return False

    def connection_open(self):
        """A connection a batch shares (None: each message opens its own)."""
        return None

    def connection_close(self, connection) -> None:
        if connection is not None:
            connection.close()

    def deliver(self, message, text: str, html: str, headers: dict, connection=None) -> str:
        """Hand one message to the provider; return the provider's id. Raises TransientSendError when a
        later try may succeed, anything else when it will not."""
        raise NotImplementedError

    def bill_refusal(self, recipient: str, shop) -> str | None:
        """Why the platform does not pay for a message to `recipient` (None: it does)."""
        return None

    def capped(self) -> bool:
        """Whether the shop's daily and monthly caps count these messages."""
        return False

    def webhook_urls(self) -> list:
        return []
