"""The seams between the send use case and what it records to or reads from.

The history store (composer.storage.history.HistoryStore) and the secret store
(composer.storage.secrets.SecretStore) implement these; services depend on the protocols, so the
send path can be exercised with or without a history, and the CLI and the GUI wire the real
ones in (composer/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from composer.client.targets import Target
from composer.domain.outcome import RequestRecord, SendOutcome


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a history entry records about a send besides the request and its outcome."""

    target: str
    """Target label: "sandbox", "production", or the base URL of a custom target."""
    account: str | None
    """Account label whose key was used (never the key itself); None for the sandbox."""
    revision: str
    metric: str | None
    profile: str | None
    """The profile identifier shown in listings: the email, else the phone number."""


class HistorySink(Protocol):
    """Receives one entry per send: written *pending* before the request goes out, completed
    after, so a crash mid-send leaves an "unknown outcome" entry rather than a gap."""

    def begin(self, request: RequestRecord, context: SendContext) -> int:
        """Write a pending entry and return its id."""
        ...

    def complete(self, entry_id: int, outcome: SendOutcome) -> None:
        """Record the outcome (response or transport error) of a pending entry."""
        ...


class KeySource(Protocol):
    """Where the private API key of a named account comes from (the OS keyring)."""

    def get_key(self, account: str) -> str | None:
        """The key for ``account``, or None when there is none. May block (keyring I/O)."""
        ...


class SendGateway(Protocol):
    """What the window sends through: one event body sent and recorded in the history
    (pending first, completed after). ``composer.ui.send_gateway.ServiceGateway`` is the real
    one; the composition root (composer/app.py) builds it."""

    async def send(
        self,
        body: bytes,
        *,
        target: Target,
        account: str | None,
        revision: str,
    ) -> SendOutcome:
        """The outcome of one send. Raises ``asyncio.CancelledError`` when cancelled, and an
        exception whose message is meant for the user when it cannot send at all (no key)."""
        ...

    async def aclose(self) -> None:
        """Close the long-lived HTTP clients."""
        ...
