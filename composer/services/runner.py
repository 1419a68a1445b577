"""Run a collection: each request in order, its variables resolved afresh, validated, sent
through the one :class:`Sender` (so every send is in the history, paced by the account's rate
limiter and bound by the key rules), read back when its expectation asks whether it landed,
and checked against its expectations. The CLI (`event-composer run`) and the window's runner
view share it; it never imports Qt.

The window drives it with a progress callback (called on the loop's thread before and after
each request) and :meth:`Runner.cancel`; each :class:`RequestResult` carries the history id of
its send so the window can open that entry.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from composer.client import SendCancelled
from composer.domain.environments import Environment
from composer.domain.expectations import (
    DEFAULT_EXPECTATION,
    CheckResult,
    Expectation,
    ExpectationError,
    check_findings,
    check_landed,
    check_response,
    check_status,
    check_validator,
    parse_expectation,
)
from composer.domain.findings import Finding
from composer.domain.variables import Scope, resolve
from composer.services.send import Sender, SendResult
from composer.services.verify import Verification, Verifier
from composer.storage.collections import Collection, CollectionError, RequestItem


@dataclass(frozen=True, slots=True)
class RequestResult:
    """What happened to one request of a run."""

    key: str
    """The request's key in its collection (``folder/name``)."""
    passed: bool
    checks: tuple[CheckResult, ...] = ()
    error: str | None = None
    """Why the request could not be run at all (unreadable file, wrong expectation file,
    unknown variable); it counts as failed."""
    sent: bool = False
    status: int | None = None
    history_id: int | None = None
    """The history entry of its send, for the window to open (None when not sent or not
    recorded)."""
    unique_id: str | None = None
    verification: str | None = None
    """The read-back verdict (``landed``, ``not_seen``, ...) when one was asked for."""
    duration_ms: float = 0.0
    row: int | None = None
    """The data row (1-based) this run used, with ``--data``."""
    cancelled: bool = False

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def reasons(self) -> list[str]:
        """Each failed check and why, or the error, for a person."""
        if self.error:
            return [self.error]
        return [f"{c.check}: {c.reason}" if c.reason else c.check for c in self.failures]

    def to_json(self) -> dict[str, Any]:
        """The stable shape of `event-composer run --json`'s ``results[]``."""
        out: dict[str, Any] = {
            "request": self.key,
            "passed": self.passed,
            "sent": self.sent,
            "status": self.status,
            "history_id": self.history_id,
            "unique_id": self.unique_id,
            "duration_ms": round(self.duration_ms, 1),
            "checks": [c.to_json() for c in self.checks],
        }
        if self.row is not None:
            out["row"] = self.row
        if self.verification is not None:
            out["verification"] = self.verification
        if self.error:
            out["error"] = self.error
        if self.cancelled:
            out["cancelled"] = True
        return out


@dataclass(slots=True)
class RunReport:
    """A whole run: every result in order, and whether it stopped early."""

    collection: str
    results: list[RequestResult] = field(default_factory=list)
    cancelled: bool = False
    bailed: bool = False
    """Stopped at the first failure (``bail``)."""
    plan: list[tuple[str, int | None]] = field(default_factory=list)
    """(request key, data row) of every request the run meant to make, in order."""
    duration_ms: float = 0.0

    @property
    def planned(self) -> int:
        return len(self.plan)

    @property
    def not_run(self) -> list[tuple[str, int | None]]:
        """The requests a cancel or a bail left out."""
        return self.plan[len(self.results) :]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    @property
    def skipped(self) -> int:
        """Requests not run because the run was cancelled or bailed."""
        return max(0, self.planned - len(self.results))

    @property
    def ok(self) -> bool:
        """Every expectation held and the run went to its end."""
        return self.failed == 0 and not self.cancelled and self.skipped == 0


@dataclass(frozen=True, slots=True)
class RunProgress:
    """One step of a run, for a progress display: ``result`` is None when the request starts."""

    index: int
    """0-based position in the run (rows x requests)."""
    total: int
    key: str
    row: int | None
    result: RequestResult | None = None


ProgressCallback = Callable[[RunProgress], None]


class Runner:
    """Runs the requests of collections through one sender. Make one per run target and
    environment; ``cancel`` stops a run between requests and cancels the send under way (its
    history entry says so)."""

    def __init__(
        self,
        sender: Sender,
        *,
        environment: Environment | None = None,
        delay: float = 0.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        verifier: Verifier | None = None,
        follow_layout: bool = False,
    ) -> None:
        self.sender = sender
        self.follow_layout = follow_layout
        """A request written in another layout than the sender's revision's goes at its own
        layout's revision (2023-01-24 for the flat one; see ``guess_revision``), as opening it
        in the window does; the others at the sender's revision."""
        self.environment = environment
        """Its variables (and email domain) fill ``{{name}}`` over the collection's own
        (``collection.json``); a data row's values win over both."""
        self.delay = max(0.0, delay)
        """Seconds to wait between two requests (``--delay``), on top of the rate limits."""
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self._verifier = verifier
        self._cancelled = False
        self._current: asyncio.Task[Any] | None = None

    def cancel(self) -> None:
        """Stop the run: the request under way is cancelled, no further one starts."""
        self._cancelled = True
        if self._current is not None and not self._current.done():
            self._current.cancel()

    @property
    def verifier(self) -> Verifier:
        """One read-back verifier per runner: it caches metric ids for the account."""
        if self._verifier is None:
            self._verifier = Verifier(self.sender.client)
        return self._verifier

    async def run(
        self,
        collection: Collection,
        folder: str = "",
        *,
        rows: Sequence[Mapping[str, str]] | None = None,
        bail: bool = False,
        progress: ProgressCallback | None = None,
        items: Sequence[RequestItem] | None = None,
    ) -> RunReport:
        """Run the requests of ``folder`` (a folder key, ``""`` for the whole collection; or
        ``items``) in order, once, or once per data row (the row's values over the
        environment's variables). Every send resolves its variables afresh.

        Raises CollectionError when the collection cannot be listed or its
        ``collection.json`` cannot be used; everything that goes wrong with one request is in
        its result.
        """
        self._cancelled = False
        started = self._clock()
        todo = list(items) if items is not None else collection.requests(folder)
        own = collection.variables()
        passes: list[tuple[int | None, Scope]] = (
            [(i + 1, Scope.of(self.environment, own, row)) for i, row in enumerate(rows)]
            if rows is not None
            else [(None, Scope.of(self.environment, own))]
        )
        report = RunReport(
            collection.name, plan=[(item.key, row) for row, _ in passes for item in todo]
        )
        index = 0
        try:
            for row, values in passes:
                for item in todo:
                    if self._cancelled:
                        report.cancelled = True
                        return report
                    if index > 0 and self.delay:
                        await self._sleep(self.delay)
                    if progress is not None:
                        progress(RunProgress(index, report.planned, item.key, row))
                    if self._cancelled:  # cancelled from the progress display
                        report.cancelled = True
                        return report
                    result = await self._guarded(collection, item, values, row)
                    report.results.append(result)
                    if progress is not None:
                        progress(RunProgress(index, report.planned, item.key, row, result))
                    index += 1
                    if result.cancelled:
                        report.cancelled = True
                        return report
                    if bail and not result.passed:
                        report.bailed = True
                        return report
            return report
        finally:
            report.duration_ms = (self._clock() - started) * 1000

    async def _guarded(
        self, collection: Collection, item: RequestItem, scope: Scope, row: int | None
    ) -> RequestResult:
        task = asyncio.ensure_future(self.run_one(collection, item, scope, row=row))
        self._current = task
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled() or not self._cancelled:
                raise  # the run itself was cancelled from outside: let it stop
            return RequestResult(
                item.key, False, error="cancelled before it finished", row=row, cancelled=True
            )
        finally:
            self._current = None

    async def run_one(
        self,
        collection: Collection,
        item: RequestItem,
        scope: Scope,
        *,
        row: int | None = None,
    ) -> RequestResult:
        """Read, resolve (afresh), validate, send, read back and check one request."""
        started = self._clock()

        def failed(message: str) -> RequestResult:
            return RequestResult(
                item.key, False, error=message, row=row, duration_ms=self._ms(started)
            )

        try:
            template = collection.read_request(item.key).text
            expectation_text = collection.read_expectation(item.key)
        except CollectionError as exc:
            return failed(str(exc))
        try:
            expectation = (
                DEFAULT_EXPECTATION
                if expectation_text is None
                else parse_expectation(expectation_text)
            )
        except ExpectationError as exc:
            return failed(f"{item.expect_file}: {exc}")
        unknown = [f for f in resolve(template, scope).findings if f.is_error]
        if unknown:
            # Never sent, whatever the expectation: the braces would go out as written.
            where = "; ".join(f"{f.pointer or '(the whole body)'}: {f.message}" for f in unknown)
            return failed(f"{item.event_file}: {where} (not sent)")
        sent_at = self._wall()
        revision = self._revision_for(template)
        try:
            # The sender resolves the variables afresh, checks the resolved event, and keeps
            # the template in the history beside the exact bytes sent.
            sent = await self.sender.send(
                template,
                revision=revision,
                force=expectation.sends_invalid,
                variables=scope,
            )
        except SendCancelled as cancelled:
            return RequestResult(
                item.key,
                False,
                error="cancelled: the send was stopped before an answer arrived",
                sent=True,
                history_id=cancelled.history_id,
                row=row,
                cancelled=True,
                duration_ms=self._ms(started),
            )
        checks = check_validator(expectation, sent.report.findings)
        if sent.outcome is None:  # invalid, and its expectation is not a 4xx
            checks += self._not_sent_checks(expectation, sent.report.findings)
            return self._result(item, checks, row, started)
        checks += self._answer_checks(expectation, sent)
        verdict = await self._landed(expectation, sent, sent_at, revision)
        if expectation.landed is not None:
            summary = verdict.summary if verdict is not None else self._why_not_read(sent)
            outcome = verdict.outcome.value if verdict is not None else None
            checks += check_landed(expectation, outcome, summary)
        return self._result(
            item,
            checks,
            row,
            started,
            sent=sent,
            verification=verdict.outcome.value if verdict is not None else None,
        )

    # -- the parts of one request -------------------------------------------------------------

    def _not_sent_checks(
        self, expectation: Expectation, findings: Sequence[Finding]
    ) -> list[CheckResult]:
        errors = [f for f in findings if f.is_error]
        first = errors[0] if errors else None
        why = f"not sent: the validator found {len(errors)} error(s)" + (
            f", first {first.rule} at {first.target or '(the whole body)'}: {first.message}"
            if first
            else ""
        )
        out = check_status(expectation, None, why)
        if expectation.landed is not None:
            out += check_landed(expectation, None, why)
        out += [CheckResult(c.describe(), False, why) for c in expectation.response]
        out += [
            CheckResult(f"server finding: {p.describe()}", False, why) for p in expectation.findings
        ]
        return out

    def _answer_checks(self, expectation: Expectation, sent: SendResult) -> list[CheckResult]:
        outcome = sent.outcome
        assert outcome is not None  # sent
        why = "no answer: " + (outcome.error.message if outcome.error else "unknown")
        out = check_status(expectation, outcome.status, why)
        if outcome.status is None:
            out += [CheckResult(c.describe(), False, why) for c in expectation.response]
            out += [
                CheckResult(f"server finding: {p.describe()}", False, why)
                for p in expectation.findings
            ]
            return out
        out += check_findings(expectation, outcome.findings)
        out += check_response(expectation, outcome.response_headers, outcome.response_body)
        return out

    def _revision_for(self, template: str) -> str | None:
        """The revision one request goes at: the sender's (None), or with ``follow_layout``
        and a request in the other layout, the revision of the request's layout."""
        if not self.follow_layout:
            return None
        from composer.domain.convert import body_shape, guess_revision
        from composer.domain.jsontext import parse_json_text

        parsed = parse_json_text(template)
        if not parsed.ok:
            return None
        shape = body_shape(parsed.value)
        if shape is None or shape is self.sender.client.revision.shape:
            return None
        own = guess_revision(parsed.value)
        return None if own == self.sender.client.revision.name else own

    async def _landed(
        self, expectation: Expectation, sent: SendResult, sent_at: float, revision: str | None
    ) -> Verification | None:
        from composer.domain.revisions import get_revision

        outcome = sent.outcome
        if expectation.landed is None or outcome is None or not outcome.accepted:
            return None
        try:
            payload = json.loads(sent.body)
        except ValueError:
            return None
        rev = get_revision(revision) if revision else self.sender.client.revision
        return await self.verifier.verify(payload, rev, sent_at, timeout=expectation.landed_within)

    @staticmethod
    def _why_not_read(sent: SendResult) -> str:
        outcome = sent.outcome
        if outcome is None:
            return "not sent"
        if outcome.status is None:
            return "no answer, so it was not read back"
        return f"the answer was {outcome.status}, not accepted, so it cannot have landed"

    def _result(
        self,
        item: RequestItem,
        checks: list[CheckResult],
        row: int | None,
        started: float,
        *,
        sent: SendResult | None = None,
        verification: str | None = None,
    ) -> RequestResult:
        outcome = sent.outcome if sent is not None else None
        return RequestResult(
            item.key,
            all(c.passed for c in checks),
            tuple(checks),
            sent=outcome is not None,
            status=outcome.status if outcome is not None else None,
            history_id=sent.history_id if sent is not None else None,
            unique_id=sent.unique_id if sent is not None else None,
            verification=verification,
            duration_ms=self._ms(started),
            row=row,
        )

    def _ms(self, started: float) -> float:
        return (self._clock() - started) * 1000
