"""What the window needs from the layers below, as protocols, so the composition root
(composer/app.py) can wire the real services and tests can wire the same real ones in a
temporary folder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from composer.client.targets import Target
from composer.domain.outcome import SendOutcome


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
        extra_headers: Mapping[str, str] | None = None,
    ) -> SendOutcome:
        """The outcome of one send. ``account_confirmed``: the user agreed to send that
        account's key to this (non-Klaviyo, non-loopback) host. ``extra_headers``: e.g. the
        fall-forward opt-out. Raises ``asyncio.CancelledError`` when cancelled, and an
        exception whose message is meant for the user when it cannot send at all (no key, or
        the key may not go there)."""
        ...

    async def aclose(self) -> None:
        """Close the long-lived HTTP clients."""
        ...
