"""The shapes the history hands out: light rows for listings, full entries by id, and queries."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from composer.domain.delivery import Delivery, derive_delivery
from composer.domain.findings import Finding
from composer.domain.outcome import (
    Attempt,
    RateLimitInfo,
    RequestRecord,
    SendOutcome,
    StatusClass,
    TransportError,
    TransportErrorKind,
    status_class_of,
)

STATUS_CLASSES = tuple(c.value for c in StatusClass)
"""See :class:`composer.domain.outcome.StatusClass`."""
VERIFICATIONS = ("landed", "not_seen", "cannot_check", "skipped")
"""The read-back verdicts a history entry can hold (composer.services.verify.VerifyOutcome);
``unchecked`` in a query's ``verifications`` means entries never checked."""


class EntryContext(Protocol):
    """What an entry records besides the request: the services' ``SendContext`` has these."""

    @property
    def target(self) -> str: ...
    @property
    def account(self) -> str | None: ...
    @property
    def revision(self) -> str: ...
    @property
    def metric(self) -> str | None: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def run_id(self) -> str | None: ...
    @property
    def run_index(self) -> int | None: ...
    @property
    def template(self) -> str | None: ...
    @property
    def environment(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PlainContext:
    """An :class:`EntryContext` for imports and tools that have no ``SendContext`` at hand."""

    target: str
    account: str | None
    revision: str
    metric: str | None
    profile: str | None
    run_id: str | None = None
    run_index: int | None = None
    template: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Which entries a listing, count or export covers. Empty fields do not filter."""

    text: str | None = None
    """Full-text search over metric, profile, properties and the response body."""
    status_classes: tuple[str, ...] = ()
    """Any of STATUS_CLASSES, e.g. ``("4xx", "5xx")``."""
    metric: str | None = None
    target: str | None = None
    account: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: tuple[int, ...] | None = None
    """Only these entries (e.g. the rows selected in a table)."""
    deliveries: tuple[str, ...] = ()
    """Any of composer.domain.delivery.DELIVERIES, e.g. ``("unknown",)``."""
    verifications: tuple[str, ...] = ()
    """Any of :data:`VERIFICATIONS`, and ``unchecked`` for entries never checked."""


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def datetime_to_ms(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.astimezone()  # a naive datetime means local time, as a person typed it
    return int(when.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One line of the history listing: cheap to load by the hundred."""

    id: int
    created_ms: int
    state: str
    """``pending``, ``complete`` or ``imported``."""
    target: str
    account: str | None
    revision: str
    method: str
    url: str
    metric: str | None
    profile: str | None
    status: int | None
    status_class: str
    total_ms: float | None
    error_kind: str | None
    finding_count: int
    delivery: str = Delivery.UNKNOWN.value
    """``accepted``, ``not_accepted``, ``unknown`` or ``not_sent`` (composer.domain.delivery)."""
    unique_id: str | None = None
    """The unique_id the request carried (the app's filled-in one included)."""
    run_id: str | None = None
    """The replay run that sent it (``replay_run.id``), None for other sends."""
    run_index: int | None = None
    """The position of its event in the replayed file (0 for the first)."""
    verification: str | None = None
    """The read-back verdict: ``landed``, ``not_seen``, ``cannot_check`` or ``skipped``;
    None when it was never checked (see :data:`VERIFICATIONS`)."""
    verification_evidence: str | None = None
    """The verdict's evidence as JSON text (an object); :attr:`verification_json` parses it."""
    verified_ms: int | None = None
    """When the verdict was recorded (epoch ms)."""
    environment: str | None = None
    """The environment whose variables the event was resolved with (None: none chosen)."""
    answered: int | None = None
    """With no final status (the last try got no answer): the status the last try that got
    one got (a 429, a 503), else None."""

    @property
    def verification_json(self) -> dict[str, Any] | None:
        """``{"outcome": ..., **evidence, "checked_at": ISO time}``, or None when never
        checked: the ``"verification"`` object of ``--json`` output."""
        if self.verification is None:
            return None
        evidence: Any = None
        try:
            evidence = json.loads(self.verification_evidence or "{}")
        except ValueError:
            evidence = None
        out: dict[str, Any] = {"outcome": self.verification}
        if isinstance(evidence, dict):
            out.update((k, v) for k, v in evidence.items() if k != "outcome")
        if self.verified_ms is not None:
            out["checked_at"] = ms_to_datetime(self.verified_ms).isoformat()
        return out

    @property
    def created_at(self) -> datetime:
        return ms_to_datetime(self.created_ms)

    @property
    def outcome_unknown(self) -> bool:
        """True when the request may have gone out but no outcome was recorded."""
        return self.state == "pending"

    @property
    def status_text(self) -> str:
        """What a listing shows in its status column."""
        if self.state == "pending":
            return "unknown outcome"
        if self.status is not None:
            return str(self.status)
        if self.error_kind and self.answered is not None:
            # an earlier try was answered: "no response" alone would say it never was
            return f"{self.answered}, then {self.error_kind}"
        if self.error_kind:
            return f"no response ({self.error_kind})"
        return "not sent"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """Everything recorded about one send (Authorization already redacted)."""

    row: HistoryRow
    request: RequestRecord
    completed_ms: int | None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    findings: tuple[Finding, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    rate_limit: RateLimitInfo | None = None
    error: TransportError | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    """The event as written, with its variables, when it held any (``request.body`` is then
    the exact resolved bytes sent); None for an event without variables."""
    notes: tuple[str, ...] | None = None
    """What the outcome said besides its status and attempts, as the send showed it (a 202
    whose body was cut short, "not retried: no unique_id"...); ``()`` when it said nothing
    more; None when the entry does not know: recorded by a release before the history kept
    notes, or no outcome was recorded (pending, imported)."""

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def composer_text(self) -> str:
        """What "load into the composer" loads: the template when there is one, else the body
        sent (decoded as UTF-8, any undecodable byte replaced)."""
        if self.template is not None:
            return self.template
        return self.request.body.decode("utf-8", errors="replace")

    def to_outcome(self) -> SendOutcome | None:
        """The recorded outcome, or None while it is unknown (pending) or never sent."""
        if self.row.state != "complete":
            return None
        return SendOutcome(
            request=self.request,
            status=self.row.status,
            response_headers=self.response_headers,
            response_body=self.response_body,
            findings=self.findings,
            attempts=self.attempts,
            total_ms=self.row.total_ms or 0.0,
            rate_limit=self.rate_limit,
            error=self.error,
            extra=outcome_extra(self.notes, self.attempts),
        )


def outcome_extra(notes: tuple[str, ...] | None, attempts: tuple[Attempt, ...]) -> dict[str, Any]:
    """The ``extra`` of a recorded outcome, as the client made it: its notes, and how many of
    its tries were answered 429 (the client counts exactly those)."""
    extra: dict[str, Any] = {}
    if notes:
        extra["notes"] = list(notes)
    throttled = sum(1 for a in attempts if a.status == 429)
    if throttled:
        extra["throttled"] = throttled
    return extra


# -- (de)serialisation of the JSON columns ---------------------------------------------------


def notes_to_json(outcome: SendOutcome) -> str | None:
    """The outcome's notes as the history stores them: a JSON array (``[]`` for none); None
    (not known) when ``extra["notes"]`` is None, as for a HAR import that does not say."""
    if "notes" in outcome.extra and outcome.extra["notes"] is None:
        return None
    notes = outcome.extra.get("notes") or ()
    return json.dumps([str(n) for n in notes], ensure_ascii=False)


def notes_from_json(text: str | None) -> tuple[str, ...] | None:
    """The stored notes; None when none were recorded (an entry of an earlier release) or
    the column does not hold a JSON array of texts (nothing is made up from it)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    return tuple(str(n) for n in value if isinstance(n, str))


def headers_to_json(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    return json.dumps([[k, v] for k, v in headers], ensure_ascii=False)


def headers_from_json(text: str | None) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    return tuple((str(k), str(v)) for k, v in json.loads(text))


def error_to_json(error: TransportError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    out: dict[str, Any] = {"kind": error.kind.value, "message": error.message}
    if error.request_sent is not None:
        out["request_sent"] = error.request_sent
    return out


def error_from_json(obj: Any) -> TransportError | None:
    if not isinstance(obj, dict):
        return None
    try:
        kind = TransportErrorKind(obj.get("kind", "other"))
    except ValueError:
        kind = TransportErrorKind.OTHER
    sent = obj.get("request_sent")
    return TransportError(
        kind, str(obj.get("message", "")), sent if isinstance(sent, bool) else None
    )


def attempts_to_json(attempts: tuple[Attempt, ...]) -> str:
    return json.dumps(
        [
            {
                "number": a.number,
                "status": a.status,
                "error": error_to_json(a.error),
                "duration_ms": a.duration_ms,
                "waited_ms": a.waited_ms,
            }
            for a in attempts
        ]
    )


def attempts_from_json(text: str | None) -> tuple[Attempt, ...]:
    if not text:
        return ()
    return tuple(
        Attempt(
            number=int(a.get("number", i + 1)),
            status=a.get("status"),
            error=error_from_json(a.get("error")),
            duration_ms=float(a.get("duration_ms", 0.0)),
            waited_ms=float(a.get("waited_ms", 0.0)),
        )
        for i, a in enumerate(json.loads(text))
    )


def findings_to_json(findings: tuple[Finding, ...]) -> str:
    return json.dumps([f.to_json() for f in findings], ensure_ascii=False)


def findings_from_json(text: str | None) -> tuple[Finding, ...]:
    if not text:
        return ()
    return tuple(Finding.from_json(f) for f in json.loads(text))


def rate_limit_to_json(info: RateLimitInfo | None) -> str | None:
    if info is None:
        return None
    return json.dumps(
        {
            "limit": info.limit,
            "remaining": info.remaining,
            "reset_seconds": info.reset_seconds,
            "retry_after": info.retry_after,
        }
    )


def rate_limit_from_json(text: str | None) -> RateLimitInfo | None:
    if not text:
        return None
    obj = json.loads(text)
    return RateLimitInfo(
        obj.get("limit"), obj.get("remaining"), obj.get("reset_seconds"), obj.get("retry_after")
    )


def status_class(status: int | None, error: TransportError | None, state: str) -> str:
    """The status class stored with a history row (see :func:`status_class_of`)."""
    return status_class_of(status, error is not None, state).value


def unique_id_of(body: bytes) -> str | None:
    """``data.attributes.unique_id`` of a request body, when it is a non-empty string."""
    if b"unique_id" not in body:
        return None
    try:
        payload = json.loads(body)
        value = payload["data"]["attributes"]["unique_id"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return value if isinstance(value, str) and value else None


def delivery_of(
    state: str, status: int | None, error: TransportError | None, attempts: tuple[Attempt, ...]
) -> Delivery:
    """The delivery state an entry's recorded columns mean (see composer.domain.delivery)."""
    return derive_delivery(attempts, status=status, error=error, state=state)


def backfill_delivery(conn: sqlite3.Connection, batch: int = 1000) -> int:
    """Give every entry written before delivery states existed its delivery and unique_id,
    derived from what it recorded. Runs inside the migration's transaction."""
    done = 0
    last = 0
    while True:
        rows = conn.execute(
            "SELECT id, state, status, error_kind, error_message, attempts, request_body "
            "FROM entry WHERE id > ? ORDER BY id LIMIT ?",
            (last, batch),
        ).fetchall()
        updates = []
        for entry_id, state, status, error_kind, error_message, attempts, body in rows:
            error = (
                error_from_json({"kind": error_kind, "message": error_message or ""})
                if error_kind
                else None
            )
            try:
                tries = attempts_from_json(attempts)
            except (ValueError, TypeError, AttributeError):
                # unreadable attempts: judge on the final outcome alone, as one attempt
                tries = (Attempt(1, status, error, 0.0),) if (status or error) else ()
            delivery = delivery_of(state, status, error, tries)
            updates.append((delivery.value, unique_id_of(bytes(body or b"")), entry_id))
        conn.executemany("UPDATE entry SET delivery = ?, unique_id = ? WHERE id = ?", updates)
        done += len(rows)
        if len(rows) < batch:
            return done
        last = rows[-1][0]


_JOB_PREFIX = '{"data":{"type":"event-bulk-create-job"'


def describe_body(body: bytes) -> tuple[str | None, str | None, str]:
    """(metric name, profile identifier, properties text) of a Create Event body, for listing
    and search columns. Tolerant: a body that is not an event gives what can be found.

    A Bulk Create Events job gives its one metric (None for several), its profiles and every
    event's properties, so that a search for any of them finds the job."""
    text = body.decode("utf-8", errors="replace")
    if text.startswith(_JOB_PREFIX):
        # A job as the packer writes it (up to 5 MB): its whole text is the search text, so
        # every profile, metric, property and unique_id in it finds it, without parsing it.
        return None, None, text
    try:
        payload = json.loads(text)
    except ValueError:
        return None, None, text
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict) and data.get("type") == "event-bulk-create-job":
        return _describe_job(body)
    attributes = payload.get("data", {}).get("attributes") if isinstance(payload, dict) else None
    if not isinstance(attributes, dict):
        return None, None, text
    metric = attributes.get("metric")
    name: Any = None
    if isinstance(metric, dict):
        name = metric.get("name")
        nested = metric.get("data")  # newer revisions: metric.data.attributes.name
        if name is None and isinstance(nested, dict):
            name = (nested.get("attributes") or {}).get("name")
    profile = attributes.get("profile")
    ident: Any = None
    if isinstance(profile, dict):
        nested = profile.get("data")
        fields = (nested.get("attributes") or {}) if isinstance(nested, dict) else profile
        if isinstance(fields, dict):
            ident = (
                fields.get("$email")
                or fields.get("email")
                or fields.get("$phone_number")
                or fields.get("phone_number")
                or fields.get("$id")
                or fields.get("external_id")
            )
    props = attributes.get("properties")
    props_text = json.dumps(props, ensure_ascii=False) if props is not None else ""
    return (
        name if isinstance(name, str) else None,
        ident if isinstance(ident, str) else None,
        props_text,
    )


def _describe_job(body: bytes) -> tuple[str | None, str | None, str]:
    from composer.domain.bulk_pack import job_event_bodies

    metrics: dict[str, None] = {}
    profiles: dict[str, None] = {}
    parts: list[str] = []
    for event in job_event_bodies(body):
        attributes = event["data"]["attributes"]
        metric = attributes.get("metric")
        data = metric.get("data") if isinstance(metric, dict) else None
        name = (data.get("attributes") or {}).get("name") if isinstance(data, dict) else None
        if isinstance(name, str):
            metrics[name] = None
        profile = attributes.get("profile")
        data = profile.get("data") if isinstance(profile, dict) else None
        fields = data.get("attributes") if isinstance(data, dict) else None
        if isinstance(fields, dict):
            for key in ("email", "phone_number", "external_id"):
                value = fields.get(key)
                if isinstance(value, str) and value:
                    profiles[value] = None
        props = attributes.get("properties")
        unique_id = attributes.get("unique_id")
        text = json.dumps(props, ensure_ascii=False) if props is not None else ""
        parts.append(text + (f" {unique_id}" if isinstance(unique_id, str) else ""))
    metric_name = next(iter(metrics)) if len(metrics) == 1 else None
    # The search index gets every profile and metric; the listing shows one metric or none.
    return metric_name, " ".join(profiles) or None, " ".join(metrics) + "\n" + "\n".join(parts)


@dataclass(frozen=True, slots=True)
class JobEventRow:
    """One event of a Bulk Create Events job (an entry whose request is a job)."""

    position: int
    """Its place in the job's body (0 for the first)."""
    run_index: int | None
    """Its position in the replayed file (0 for the first)."""
    line: int | None
    """The line of the replayed file it starts on."""
    metric: str | None
    profile: str | None
    unique_id: str | None
