"""What the window needs from the layers below, as protocols, so the composition root
(composer/app.py) can wire the real services and tests can wire the same real ones in a
temporary folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from composer.client.targets import Target
from composer.domain.outcome import SendOutcome

if TYPE_CHECKING:  # the send service loads httpx: not at start-up
    from composer.services.send import SendResult


class SendGateway(Protocol):
    """Sends one event body and records it in the history (pending first, completed after)."""

    async def send(
        self,
        body: bytes,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
    ) -> SendOutcome:
        """The outcome of one send. ``account_confirmed``: the user agreed to send that
        account's key to this (non-Klaviyo, non-loopback) host. Raises
        ``asyncio.CancelledError`` when cancelled, and an exception whose message is meant for
        the user when it cannot send at all (no key, or the key may not go there)."""
        ...

    async def send_event(
        self,
        body: bytes,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
        fresh_unique_id: str | None = None,
        exactly: bool = False,
    ) -> SendResult:
        """Send and record one event: the result carries the outcome, the unique_id sent and
        why the history could not record it (``history_problem``). ``fresh_unique_id``
        replaces the event's unique_id; ``exactly`` sends the bytes as they are."""
        ...

    async def aclose(self) -> None:
        """Close the long-lived HTTP clients."""
        ...
