"""The seams between the send use case and what it records to or reads from.

The history store (composer.storage.history.HistoryStore) and the secret store
(composer.storage.secrets.SecretStore) implement these; services depend on the protocols, so the
send path can be exercised with or without a history, and the CLI and the GUI wire the real
ones in (composer/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from composer.domain.outcome import RequestRecord, SendOutcome

if TYPE_CHECKING:
    from composer.storage.runs import ReplayRun, RunEventState


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
    run_id: str | None = None
    """The replay run this send belongs to, if any."""
    run_index: int | None = None
    """The position in the replayed file of the event sent (0 for the first)."""


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


class RunLog(Protocol):
    """Where replay runs are recorded (``HistoryStore.runs``), so a killed run can resume."""

    def start(self, run: ReplayRun) -> None:
        """Record a new run before its first send."""
        ...

    def set_state(self, run_id: str, state: str, *, pid: int | None, new_session: bool) -> None:
        """Mark a run running (by ``pid``), stopped or finished."""
        ...

    def get(self, run_id: str) -> ReplayRun | None:
        """The run with this id, or None."""
        ...

    def of_file(self, path: str) -> list[ReplayRun]:
        """Every run of the file at ``path``, newest first."""
        ...

    def event_states(self, run_id: str) -> dict[int, RunEventState]:
        """What the history knows of each event of the run that was sent at least once."""
        ...
