"""The seams between the send use case and what it records to or reads from.

The history store (composer.storage.history.HistoryStore) and the secret store
(composer.storage.secrets.SecretStore) implement these; services depend on the protocols, so the
send path can be exercised with or without a history, and the CLI and the GUI wire the real
ones in (composer/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class AsyncHistorySink(Protocol):
    """A history whose writes are awaited off the event loop (the GUI's writer thread): the
    send waits until the pending entry is on disk before the request leaves, and learns when
    a write fails."""

    async def write_pending(self, request: RequestRecord, context: SendContext) -> int:
        """Write a pending entry and return its id once it is written."""
        ...

    async def write_outcome(self, entry_id: int, outcome: SendOutcome) -> None:
        """Record the outcome of a pending entry; returns once it is written."""
        ...


class KeySource(Protocol):
    """Where the private API key of a named account comes from (the OS keyring)."""

    def get_key(self, account: str) -> str | None:
        """The key for ``account``, or None when there is none. May block (keyring I/O)."""
        ...
