"""The seams between the send use case and what it records to or reads from.

The history store (composer.storage.history.HistoryStore) and the secret store
(composer.storage.secrets.SecretStore) implement these; services depend on the protocols, so the
send path can be exercised with or without a history, and the CLI and the GUI wire the real
ones in (composer/app.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from composer.client.targets import Target
from composer.domain.bulk_pack import JobMember
from composer.domain.outcome import RequestRecord, SendOutcome

if TYPE_CHECKING:
    from composer.domain.variables import Scope
    from composer.services.send import Sender, SendResult
    from composer.services.verify import Verification
    from composer.services.verify_text import CheckRequest
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
    job_events: tuple[JobMember, ...] = ()
    """A Bulk Create Events job's events (position in the file, line, profile, metric,
    unique_id), in body order; empty for a single send."""
    template: str | None = None
    """The event as written when it held variables (the request carries the resolved bytes)."""
    environment: str | None = None
    """The name of the environment the variables were resolved with."""


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


class RunLog(Protocol):
    """Where replay runs are recorded (``HistoryStore.runs``), so a killed run can resume."""

    def start(self, run: ReplayRun) -> None:
        """Record a new run before its first send."""
        ...

    def set_state(self, run_id: str, state: str, *, pid: int | None, new_session: bool) -> None:
        """Mark a run running (by ``pid``), stopped or finished."""
        ...

    def set_file(self, run_id: str, events: int, content_hash: str) -> None:
        """Record a run's event count and content hash once its input was read to the end."""
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

    def marks(self, run_id: str, events: int) -> tuple[bytearray, bytearray]:
        """One byte per position: (some send of it was accepted, it was sent at least once)."""
        ...


class SendGateway(Protocol):
    """What the window sends through: one event body sent and recorded in the history
    (pending first, completed after). ``composer.services.send_gateway.ServiceGateway`` is the real
    one; the composition root (composer/app.py) builds it."""

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
        fall-forward opt-out for a retired revision. Raises
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
        extra_headers: Mapping[str, str] | None = None,
        fresh_unique_id: str | None = None,
        exactly: bool = False,
        variables: Scope | None = None,
        template: str | None = None,
    ) -> SendResult:
        """Send and record one event; the pending history entry is written before the request
        leaves. The result carries the outcome, the unique_id sent, its delivery state and why
        the history could not record it (``history_problem``). ``fresh_unique_id`` replaces the
        event's unique_id (each Send a new event); ``exactly`` sends the bytes as they are;
        ``variables`` resolves the body's ``{{...}}`` afresh with that scope (the history keeps
        the template and the resolved bytes); ``template`` is the template an exact resend's
        bytes were resolved from, kept in its history entry."""
        ...

    async def verify(self, request: CheckRequest) -> Verification:
        """Read an accepted send back and say whether it landed (composer.services.verify)."""
        ...

    async def run_sender(
        self,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
    ) -> Sender:
        """A sender of its own for one collection run, recording into the same history; the
        caller closes it."""
        ...

    async def open_replay_sender(
        self,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
        bulk: bool = False,
    ) -> Sender:
        """A sender of its own for a replay at ``revision``, recording in the history (the
        caller closes it); ``bulk``: for Bulk Create Events, with that endpoint's limits.
        Raises as :meth:`send_event` does when it cannot send at all."""
        ...

    async def aclose(self) -> None:
        """Close the long-lived HTTP clients."""
        ...
