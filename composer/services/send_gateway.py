"""The window's way to send: the shared send service (composer.services.send) with one
long-lived sender per target and account, keys read off the UI thread, and history writes
awaited on one worker thread: the pending entry is written before the request leaves, and
without blocking the UI.

Qt-free: the window only awaits :meth:`ServiceGateway.send`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from composer.client import BULK_LIMITS, ClientSettings, KeyRoute, RateLimits, Target, Window
from composer.domain.outcome import RequestRecord, SendOutcome
from composer.domain.revisions import get_revision
from composer.domain.variables import Scope
from composer.services.keys import KeyUnavailable, check_key_destination
from composer.services.outcome_text import no_key_message
from composer.services.ports import HistorySink, SendContext
from composer.services.send import Sender, SendResult
from composer.services.verdicts import record_verdict
from composer.services.verify import Verification, Verifier, VerifyOutcome
from composer.services.verify_text import GUI_VERIFY_TIMEOUT, CheckRequest, place_name

log = logging.getLogger(__name__)


class QueuedHistory:
    """An :class:`AsyncHistorySink` whose writes run in order on one worker thread.

    The send awaits each write without blocking the UI thread: the pending entry is on disk
    before the request leaves, and a write that fails (disk full, read-only, locked) raises in
    the send, which reports it instead of losing it silently."""

    def __init__(self, sink: HistorySink) -> None:
        self._sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-writer")

    async def write_pending(self, request: RequestRecord, context: SendContext) -> int:
        future = self._pool.submit(self._sink.begin, request, context)
        future.add_done_callback(_log_failure)
        entry_id: int = await asyncio.wrap_future(future)
        return entry_id

    async def write_outcome(self, entry_id: int, outcome: SendOutcome) -> None:
        # The write goes on even if the awaiting task is cancelled (it was submitted).
        future = self._pool.submit(self._sink.complete, entry_id, outcome)
        future.add_done_callback(_log_failure)
        await asyncio.wrap_future(future)

    async def write_verdict(self, entry_id: int | None, verdict: Verification) -> str | None:
        """Keep a read-back verdict in its entry, in order with the other writes; why it could
        not be kept, or None."""
        future = self._pool.submit(record_verdict, self._sink, entry_id, verdict)
        problem: str | None = await asyncio.wrap_future(future)
        return problem

    async def flush(self) -> None:
        """Wait until every queued write is done (so a reload shows them)."""
        await asyncio.wrap_future(self._pool.submit(lambda: None))

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _log_failure(future: Any) -> None:
    if future.cancelled():  # the app is exiting: the write never ran (and has no exception)
        return
    exc = future.exception()
    if exc is not None:
        log.warning("history: a write failed: %s", exc)


class _FixedKey:
    """A KeySource holding one key already read (off the UI thread)."""

    def __init__(self, key: str | None) -> None:
        self._key = key

    def get_key(self, account: str) -> str | None:
        return self._key


def _fingerprint(key: str | None) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()[:16]


class ServiceGateway:
    """Sends through :class:`Sender`, one per (target, account), created inside the running
    loop and closed by :meth:`aclose`. The in-process sandbox lives as long as the gateway.

    ``storage`` provides ``history``, ``secrets`` and ``settings`` (composer.storage.Storage).
    ``sandbox`` (a SandboxApp or SandboxConfig) and ``transports`` (target label -> transport)
    let tests choose the sandbox's limits and route a target to a local server.
    """

    def __init__(
        self,
        storage: Any,
        *,
        sandbox: Any = None,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
        client_settings: Callable[[], ClientSettings] | None = None,
        verify_timeout: float = GUI_VERIFY_TIMEOUT,
    ) -> None:
        from composer.sandbox import SandboxApp, create_app

        self._storage = storage
        self.sandbox = sandbox if isinstance(sandbox, SandboxApp) else create_app(sandbox)
        self._transports = dict(transports or {})
        self._client_settings = client_settings or self._settings_from_storage
        self.history = QueuedHistory(storage.history)
        self._senders: dict[tuple[str, str | None], tuple[str, Sender]] = {}
        self._verifiers: dict[int, Verifier] = {}
        """One verifier per sender (i.e. per account: it caches metric ids)."""
        self.verify_timeout = verify_timeout
        self._closed = False

    def _settings_from_storage(self) -> ClientSettings:
        limits = self._storage.settings.settings.rate_limits
        return ClientSettings(
            limits=RateLimits(
                burst=Window(limits.burst_per_second, 1.0),
                steady=Window(limits.steady_per_minute, 60.0),
            )
        )

    async def _key(self, target: Target, account: str | None, *, named: bool) -> str | None:
        """The key to send to ``target`` with (None for a local target without an account),
        read off the UI thread; raises KeyRefused or KeyUnavailable."""
        check_key_destination(target, account, named=named)  # before the keyring is read
        secrets = self._storage.secrets
        key = await asyncio.to_thread(secrets.get_key, account) if account else None
        if (account and not key) or (not account and not target.is_local):
            # the key may be in a keyring that cannot be read now: say so, not "no key"
            status = secrets.status if account else None
            problem = None if status is None or status.available else str(status)
            raise KeyUnavailable(no_key_message(target, account, problem))
        return key

    async def _sender(
        self, target: Target, account: str | None, revision: str, *, named: bool
    ) -> Sender:
        key = await self._key(target, account, named=named)
        slot = (target.label, account)
        fingerprint = _fingerprint(key)
        cached = self._senders.get(slot)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        if cached is not None:
            await cached[1].aclose()
        sender = self._open_sender(target, account, revision, named=named, key=key)
        self._senders[slot] = (fingerprint, sender)
        return sender

    def _open_sender(
        self,
        target: Target,
        account: str | None,
        revision: str,
        *,
        named: bool,
        key: str | None,
        bulk: bool = False,
    ) -> Sender:
        return Sender.open(
            target,
            account=account,
            account_named=named,
            keys=_FixedKey(key) if account else None,
            history=self.history,
            environ={},  # the GUI takes keys from the keyring only, never the environment
            revision=revision,
            # Bulk Create Events has limits of its own (10/s, 150/min), and a limiter of its own
            settings=ClientSettings(limits=BULK_LIMITS) if bulk else self._client_settings(),
            transport=self._transports.get(target.label),
            sandbox=self.sandbox,
            endpoint="bulk" if bulk else "",
        )

    async def run_sender(
        self,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
    ) -> Sender:
        """A sender of its own for one collection run (composer.services.runner), in
        ``revision``, recording into the window's history and pacing with the account's
        limiter like every send. The caller closes it (``aclose``). Raises KeyUnavailable or
        KeyRefused as :meth:`send_event` does."""
        if self._closed:
            raise RuntimeError("the app is closing; nothing more is sent")
        self._sync_sandbox()
        named = account_confirmed or target.key_route is KeyRoute.AUTOMATIC
        key = await self._key(target, account, named=named)
        return self._open_sender(target, account, revision, named=named, key=key)

    async def open_replay_sender(
        self,
        *,
        target: Target,
        account: str | None,
        revision: str,
        account_confirmed: bool = False,
        bulk: bool = False,
    ) -> Sender:
        """A sender of its own for a replay at ``revision`` (the caller closes it): the key
        from the keyring, the account's rate limiter shared with the composer's sends (with
        ``bulk``: Bulk Create Events' limiter and limits), every send recorded in the history
        on the gateway's writer thread. Raises KeyUnavailable or KeyRefused as
        :meth:`send_event` does."""
        if self._closed:
            raise RuntimeError("the app is closing; nothing more is sent")
        self._sync_sandbox()
        named = account_confirmed or target.key_route is KeyRoute.AUTOMATIC
        key = await self._key(target, account, named=named)
        return self._open_sender(target, account, revision, named=named, key=key, bulk=bulk)

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
        """The outcome of :meth:`send_event` with the composer's unique_id settings."""
        result = await self.send_event(
            body,
            target=target,
            account=account,
            revision=revision,
            account_confirmed=account_confirmed,
            extra_headers=extra_headers,
        )
        assert result.outcome is not None  # force=True always sends
        return result.outcome

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
        """Send ``body`` (the window already asked about invalid events) and record it: the
        pending history entry is written before the request leaves.

        ``fresh_unique_id`` replaces the event's unique_id (each Send from the composer is a
        new event); ``exactly`` sends the bytes as they are (Resend exactly: same unique_id);
        otherwise a unique_id is filled in when the event has none and the setting says so.
        ``variables``: resolve the body's variables afresh with this scope (never together
        with ``exactly``, which sends recorded bytes); ``template``: what recorded bytes were
        resolved from, kept in the new history entry.
        The result's ``history_problem`` says why the history could not record the send.
        ``extra_headers`` go with the request (e.g. a retired revision's own headers).

        The account chosen in the window counts as named for Klaviyo and this machine; for
        another host only when ``account_confirmed`` (the user said yes for that host).
        Raises KeyUnavailable (no key) or KeyRefused (the key may not go there) with a
        message for people."""
        if self._closed:
            raise RuntimeError("the app is closing; nothing more is sent")
        self._sync_sandbox()
        named = account_confirmed or target.key_route is KeyRoute.AUTOMATIC
        sender = await self._sender(target, account, revision, named=named)
        fill = not exactly and bool(self._storage.settings.settings.auto_unique_id)
        try:
            return await sender.send(
                body,
                revision=revision,
                force=True,
                fill_unique_id=fill,
                unique_id=fresh_unique_id,
                replace_unique_id=fresh_unique_id is not None and not exactly,
                extra_headers=extra_headers,
                variables=None if exactly else variables,
                template=template,
            )
        finally:
            await self.history.flush()

    async def verify(self, request: CheckRequest) -> Verification:
        """Read an accepted send back (composer.services.verify) with the key it went with,
        sharing the account's limiter with sends; waits up to ``verify_timeout`` seconds.
        The verdict is kept in the send's history entry (``request.entry_id``). Raises
        KeyUnavailable or KeyRefused as :meth:`send_event` does."""
        if self._closed:
            raise RuntimeError("the app is closing; nothing more is checked")
        payload = request.payload()
        if payload is None:
            return Verification(VerifyOutcome.SKIPPED, "Not checked: the body sent is not JSON.")
        target = request.target
        named = request.account_confirmed or target.key_route is KeyRoute.AUTOMATIC
        sender = await self._sender(target, request.account, request.revision, named=named)
        verifier = self._verifiers.get(id(sender))
        if verifier is None or verifier.reader is not sender.client:
            verifier = Verifier(sender.client, place=place_name(target))
            self._verifiers[id(sender)] = verifier
        try:  # the body's shape is the revision it was sent with
            shape = get_revision(request.revision)
        except ValueError:
            shape = sender.client.revision
        verdict = await verifier.verify(
            payload, shape, request.sent_at, timeout=self.verify_timeout
        )
        problem = await self.history.write_verdict(request.entry_id, verdict)
        if problem:
            log.warning("history: %s", problem)
        return verdict

    def _sync_sandbox(self) -> None:
        """The built-in sandbox follows the Settings choice for retired revisions."""
        from composer.sandbox import RetiredRevisionPolicy

        wanted = getattr(self._storage.settings.settings, "sandbox_retired_revisions", "serve")
        try:
            policy = RetiredRevisionPolicy(wanted)
        except ValueError:
            policy = RetiredRevisionPolicy.SERVE
        if self.sandbox.config.retired_revisions is not policy:
            self.sandbox.set_retired_revisions(policy)

    async def aclose(self) -> None:
        """Close every sender's HTTP client and finish the queued history writes."""
        if self._closed:
            return
        self._closed = True
        senders = [s for _f, s in self._senders.values()]
        self._senders.clear()
        self._verifiers.clear()
        for sender in senders:
            await sender.aclose()
        await asyncio.to_thread(self.history.close)
