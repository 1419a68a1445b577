"""The send use case the GUI and the CLI share: validate, fill a unique_id, write a pending
history entry, send through the client, complete the entry, whatever happens.

One :class:`Sender` per target and account holds one long-lived :class:`EventClient`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from composer.client import (
    ClientSettings,
    EventClient,
    LimiterRegistry,
    SendCancelled,
    Target,
    TargetKind,
    parse_target,
)
from composer.client.timing import Clock, Sleep, monotonic, real_sleep
from composer.domain.bulk_pack import JobMember
from composer.domain.delivery import Delivery, derive_delivery
from composer.domain.findings import Finding, Severity, ValidationReport
from composer.domain.outcome import (
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)
from composer.domain.revisions import DEFAULT_REVISION, get_revision
from composer.domain.templates import check_template
from composer.domain.validator import Validator
from composer.domain.variables import ResolvedUse, Scope
from composer.services.keys import ResolvedKey, resolve_key
from composer.services.payload import metric_name, profile_label, unique_id_in, with_unique_id
from composer.services.ports import AsyncHistorySink, HistorySink, KeySource, SendContext

if TYPE_CHECKING:
    from composer.sandbox import SandboxApp, SandboxConfig

log = logging.getLogger(__name__)

LIMITERS = LimiterRegistry()
"""Every sender to the same target and account shares one rate limiter (process-wide)."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one press of Send produced."""

    report: ValidationReport
    """The validator's findings on the body as the user wrote it (its resolved event, with the
    variables' own findings, when it was sent with variables)."""
    outcome: SendOutcome | None
    """None when the event was refused before sending (invalid and not forced)."""
    body: bytes
    """The bytes sent (or that would have been sent): the user's, or with a unique_id added."""
    unique_id_filled: str | None = None
    history_id: int | None = None
    history_problem: str | None = None
    """Why the history could not record this send (the send itself went ahead)."""
    unique_id: str | None = None
    """The unique_id the request carried (filled in or the event's own), None without one."""
    template: str | None = None
    """The event as written when it held variables (``body`` is then the resolved bytes)."""
    variables: tuple[ResolvedUse, ...] = ()
    """Each variable of the template and the value it was given (None: unknown)."""

    @property
    def sent(self) -> bool:
        return self.outcome is not None

    @property
    def delivery(self) -> Delivery:
        """What is known about whether the server recorded the event."""
        if self.outcome is None:
            return Delivery.NOT_SENT
        outcome = self.outcome
        return derive_delivery(outcome.attempts, status=outcome.status, error=outcome.error)

    @property
    def refused_invalid(self) -> bool:
        return self.outcome is None


class Sender:
    """Sends events to one target with one key. Close it (``aclose``/``async with``)."""

    def __init__(
        self,
        client: EventClient,
        *,
        account: str | None = None,
        history: HistorySink | AsyncHistorySink | None = None,
        key_source: str = "",
        validator_factory: Callable[[str], Validator] = Validator,
    ) -> None:
        self.client = client
        self.account = account
        self.history: AsyncHistorySink | None = (
            None
            if history is None
            else history
            if isinstance(history, AsyncHistorySink)
            else InlineHistory(history)
        )
        self.key_source = key_source
        """Where the key came from, safe to show (e.g. "keyring account 'shop'")."""
        self._validator_factory = validator_factory
        self._validators: dict[str, Validator] = {}

    @property
    def target(self) -> Target:
        return self.client.target

    @classmethod
    def open(
        cls,
        target: Target | str | None = None,
        *,
        account: str | None = None,
        account_named: bool = True,
        keys: KeySource | None = None,
        history: HistorySink | AsyncHistorySink | None = None,
        environ: Mapping[str, str] | None = None,
        revision: str = DEFAULT_REVISION,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sandbox: SandboxApp | SandboxConfig | None = None,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
        rng: Callable[[], float] = random.random,
        endpoint: str = "",
    ) -> Sender:
        """A sender for ``target`` ("sandbox", "production" or a URL).

        The key comes from ``keys`` (account ``account``), else the environment, else the
        fake sandbox key for local targets (see :func:`resolve_key`); this may block on the
        keyring. ``account_named`` False makes ``account`` the default account, whose key
        goes by itself only to Klaviyo and to this machine (KeyRefused elsewhere).
        ``sandbox`` is a SandboxApp or SandboxConfig for the in-process sandbox.
        ``endpoint`` names an endpoint with rate limits of its own (``"bulk"``: Bulk Create
        Events); its sends share a limiter with every other sender for that endpoint and account.
        Raises TargetError, KeyUnavailable (KeyRefused) or KeyFormatError with a message for people.
        """
        parsed = target if isinstance(target, Target) else parse_target(target)
        resolved: ResolvedKey = resolve_key(parsed, account, keys, environ, named=account_named)
        if transport is None and parsed.kind is TargetKind.SANDBOX:
            from composer.sandbox import in_process_transport

            transport = in_process_transport(sandbox)
        settings = settings or ClientSettings()
        limiter = LIMITERS.get(
            parsed.label,
            (resolved.account or resolved.source) + (f" [{endpoint}]" if endpoint else ""),
            settings.limits,
            clock=clock,
            sleep=sleep,
        )
        client = EventClient(
            parsed,
            resolved.key,
            revision=revision,
            settings=settings,
            transport=transport,
            limiter=limiter,
            clock=clock,
            sleep=sleep,
            rng=rng,
        )
        return cls(client, account=resolved.account, history=history, key_source=resolved.source)

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    def validator(self, revision: str | None = None) -> Validator:
        name = revision or self.client.revision.name
        if name not in self._validators:
            self._validators[name] = self._validator_factory(name)
        return self._validators[name]

    def validate(self, body: bytes | str, revision: str | None = None) -> ValidationReport:
        """The findings on a body at the revision this sender uses."""
        return self.validator(revision).validate_text(body)

    async def send(
        self,
        body: bytes | str,
        *,
        revision: str | None = None,
        force: bool = False,
        fill_unique_id: bool = True,
        unique_id: str | None = None,
        replace_unique_id: bool = False,
        report: ValidationReport | None = None,
        run_id: str | None = None,
        run_index: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        variables: Scope | None = None,
        template: str | None = None,
    ) -> SendResult:
        """Validate and send one event body.

        With ``variables`` the body is a template: its ``{{...}}`` are resolved afresh with
        that scope (composer.domain.variables), the resolved event is validated and sent (an
        unknown variable is an error finding), and the history keeps the template beside the
        exact resolved bytes. Without, the bytes are sent as they are; ``template`` then names
        the template they were resolved from (a resend of a recorded send), for the history.

        An invalid body is refused (no request, ``outcome`` None) unless ``force``. When
        ``fill_unique_id`` and the body has no unique_id, one is added (``unique_id`` or a new
        UUID) so that retries can never record the event twice; ``replace_unique_id`` puts
        ``unique_id`` (or a new UUID) in place of the body's own, so a repeated send is a new
        event. The pending history entry is written before the request leaves. Cancellation
        completes the history entry as cancelled and propagates as :class:`SendCancelled`,
        whose ``outcome`` is the one recorded (its delivery says whether the request left).
        ``run_id`` and ``run_index`` tie the history entry to a replay run and the event's
        position in its file.
        """
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        rev = get_revision(revision) if revision else self.client.revision
        uses: tuple[ResolvedUse, ...] = ()
        if variables is not None and report is None:
            text = body if isinstance(body, str) else _utf8(raw)
            if text is not None:
                checked = check_template(text, self.validator(rev.name), variables)
                raw, report, template = checked.body, checked.report, checked.template
                uses = checked.resolution.uses
        report = report or self.validate(raw, rev.name)
        if not report.valid and not force:
            return SendResult(report, None, raw, template=template, variables=uses)
        filled_id = None
        if (fill_unique_id or replace_unique_id) and report.payload is not None:
            filled = with_unique_id(report.payload, unique_id, replace=replace_unique_id, raw=raw)
            if filled is not None:
                raw, filled_id = filled
        sent_id = filled_id or (unique_id_in(report.payload) if report.payload else None)
        prepared = self.client.prepare(raw, revision=rev.name, extra_headers=extra_headers)
        context = SendContext(
            target=self.target.label,
            account=self.account,
            revision=rev.name,
            metric=metric_name(report.payload, rev),
            profile=profile_label(report.payload, rev),
            run_id=run_id,
            run_index=run_index,
            template=template,
            environment=variables.environment_name if template and variables else None,
        )
        entry_id, problem = await self._begin(prepared.record, context)
        try:
            outcome = await self.client.send_prepared(prepared)
        except SendCancelled as cancelled:
            await self._complete(entry_id, cancelled.outcome)
            cancelled.history_id = entry_id
            raise
        except asyncio.CancelledError:
            outcome = SendOutcome(
                request=prepared.record,
                error=TransportError(
                    TransportErrorKind.CANCELLED,
                    "the send was cancelled before an answer arrived",
                ),
            )
            await self._complete(entry_id, outcome)
            stopped = SendCancelled(outcome)
            stopped.history_id = entry_id
            raise stopped from None
        problem = await self._record_answer(entry_id, outcome) or problem
        return SendResult(
            report, outcome, raw, filled_id, entry_id, problem, sent_id, template, uses
        )

    async def send_job(
        self,
        body: bytes,
        *,
        path: str,
        metric: str | None,
        profile: str | None,
        run_id: str | None,
        job_events: tuple[JobMember, ...],
    ) -> tuple[SendOutcome, str | None]:
        """Send one Bulk Create Events body (already packed and checked) to ``path`` and
        record it as one history entry listing its events, written pending before the request
        leaves. Returns the outcome and why the history could not record it (or None).
        Cancellation completes the entry as cancelled and raises :class:`SendCancelled`."""
        rev = self.client.revision
        prepared = self.client.prepare(body, revision=rev.name, path=path)
        context = SendContext(
            target=self.target.label,
            account=self.account,
            revision=rev.name,
            metric=metric,
            profile=profile,
            run_id=run_id,
            job_events=job_events,
        )
        entry_id, problem = await self._begin(prepared.record, context)
        try:
            outcome = await self.client.send_prepared(prepared)
        except SendCancelled as cancelled:
            await self._complete(entry_id, cancelled.outcome)
            raise
        except asyncio.CancelledError:
            outcome = SendOutcome(
                request=prepared.record,
                error=TransportError(
                    TransportErrorKind.CANCELLED,
                    "the send was cancelled before an answer arrived",
                ),
            )
            await self._complete(entry_id, outcome)
            raise SendCancelled(outcome) from None
        problem = await self._record_answer(entry_id, outcome) or problem
        return outcome, problem

    async def _record_answer(self, entry_id: int | None, outcome: SendOutcome) -> str | None:
        """Complete the entry with the answer that came. A cancel arriving meanwhile does not
        stop the record (it goes on), and raises :class:`SendCancelled` carrying that answer:
        the send is over, and what it got is known (:func:`finished`)."""
        recording = asyncio.ensure_future(self._complete(entry_id, outcome))
        try:
            return await asyncio.shield(recording)
        except asyncio.CancelledError:
            stopped = SendCancelled(outcome)
            stopped.history_id = entry_id
            raise stopped from None

    async def _begin(
        self, record: RequestRecord, context: SendContext
    ) -> tuple[int | None, str | None]:
        if self.history is None:
            return None, None
        writing = asyncio.ensure_future(self.history.write_pending(record, context))
        try:
            return await asyncio.shield(writing), None
        except asyncio.CancelledError:
            # Cancelled while the pending entry was being written: the request never left.
            # Let the write finish and complete the entry so, rather than leave it pending.
            never_left = SendOutcome(
                request=record,
                error=TransportError(
                    TransportErrorKind.CANCELLED,
                    "the send was cancelled before the request left",
                    request_sent=False,
                ),
            )
            if not writing.cancelled() and not writing.done():
                await asyncio.wait([writing])
            if writing.done() and not writing.cancelled() and writing.exception() is None:
                await self._complete(writing.result(), never_left)
            raise SendCancelled(never_left) from None
        except Exception as exc:  # the send matters more than its record
            log.warning("history: could not record the send: %s", exc)
            return None, f"the history could not record this send: {exc}"

    async def _complete(self, entry_id: int | None, outcome: SendOutcome) -> str | None:
        if self.history is None or entry_id is None:
            return None
        try:
            await self.history.write_outcome(entry_id, outcome)
        except Exception as exc:
            log.warning("history: could not complete entry %s: %s", entry_id, exc)
            return f"the history could not record the outcome: {exc}"
        return None


class InlineHistory:
    """A plain :class:`HistorySink` (the CLI's SQLite history) used as an
    :class:`AsyncHistorySink`: each write runs at once on the calling thread, so the pending
    entry is on disk before the request leaves."""

    def __init__(self, sink: HistorySink) -> None:
        self.sink = sink

    async def write_pending(self, request: RequestRecord, context: SendContext) -> int:
        return self.sink.begin(request, context)

    async def write_outcome(self, entry_id: int, outcome: SendOutcome) -> None:
        self.sink.complete(entry_id, outcome)


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not text: validated (and reported) as bytes, nothing to resolve


def finished(outcome: SendOutcome) -> bool:
    """Whether ``outcome`` is a send's own end (an answer, or a transport error), not a cancel
    cutting it short: a :class:`SendCancelled` whose outcome is finished came after the
    answer, while it was being recorded."""
    error = outcome.error
    return error is None or error.kind is not TransportErrorKind.CANCELLED


def first_error(report: ValidationReport) -> Finding | None:
    """The first error finding (what a one-line report names), or None."""
    for finding in report.findings:
        if finding.severity is Severity.ERROR:
            return finding
    return None
