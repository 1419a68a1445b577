"""Imports: NDJSON (or a JSON array) of Create Event bodies, and HAR files, into the history or
into the composer. Authorization headers in a HAR file are redacted on the way in."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from composer.domain.jsontext import loads
from composer.domain.outcome import RequestRecord, SendOutcome, redact_headers
from composer.storage.records import PlainContext, datetime_to_ms, describe_body

if TYPE_CHECKING:
    from composer.storage.history import HistoryStore

KLAVIYO_EVENTS_URL = "https://a.klaviyo.com/api/events/"
IMPORTED_TARGET = "imported"


@dataclass(frozen=True, slots=True)
class ImportedRequest:
    """One request read from a file, with its response when the file had one."""

    request: RequestRecord
    context: PlainContext
    created_ms: int
    outcome: SendOutcome | None


@dataclass(slots=True)
class ImportResult:
    """What an import did: entries read, and each one skipped with the reason."""

    requests: list[ImportedRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    imported: int = 0

    @property
    def bodies(self) -> list[bytes]:
        """The event bodies read, for loading into the composer."""
        return [r.request.body for r in self.requests]


def _read(source: Path | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, Path | str):
        path = Path(source)
        return path.read_bytes(), path.name
    return source.read(), getattr(source, "name", "<input>")


def detect_format(data: bytes, name: str) -> str:
    """``har`` or ``events`` (NDJSON or a JSON array), from the name, else the content."""
    lower = str(name).lower()
    if lower.endswith(".har"):
        return "har"
    if lower.endswith((".ndjson", ".jsonl")):
        return "events"
    try:
        whole = loads(data.decode("utf-8-sig", errors="replace"))
    except ValueError:
        return "events"
    return "har" if isinstance(whole, dict) and "log" in whole else "events"


def read_file(
    source: Path | BinaryIO, *, fmt: str | None = None, revision: str | None = None
) -> ImportResult:
    """Read requests from NDJSON / a JSON array of bodies (``events``) or HAR (``har``)."""
    data, name = _read(source)
    kind = fmt or detect_format(data, name)
    if kind in ("ndjson", "json", "events"):
        return read_events(data, revision=revision)
    if kind == "har":
        return read_har(data)
    raise ValueError(f"import format {kind!r} is unknown; use ndjson or har")


def read_events(data: bytes, *, revision: str | None = None) -> ImportResult:
    """Event bodies from NDJSON (one JSON value per line) or one JSON array of bodies."""
    from composer.domain.convert import guess_revision

    result = ImportResult()
    text = data.decode("utf-8-sig", errors="replace")
    items: list[tuple[str, Any]] = []
    if text.lstrip().startswith("["):
        try:
            items = [(f"item {i + 1}", v) for i, v in enumerate(loads(text))]
        except ValueError as exc:
            result.problems.append(f"the file is not a valid JSON array ({exc})")
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"line {number}", loads(line)))
            except ValueError as exc:
                result.problems.append(
                    f"line {number}: not JSON ({exc}); each line must hold one event body"
                )
    now = datetime_to_ms(datetime.now().astimezone())
    for where, value in items:
        if not isinstance(value, dict):
            result.problems.append(
                f"{where}: an event body is a JSON object, not {type(value).__name__}"
            )
            continue
        body = json.dumps(value, ensure_ascii=False, indent=2).encode()
        metric, profile, _ = describe_body(body)
        # None named: the body's layout tells (2023-01-24 for the flat one, else the default).
        rev = revision or guess_revision(value)
        headers = (
            ("revision", rev),
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
        )
        result.requests.append(
            ImportedRequest(
                RequestRecord("POST", KLAVIYO_EVENTS_URL, headers, body),
                PlainContext(IMPORTED_TARGET, None, rev, metric, profile),
                now,
                None,
            )
        )
    return result


def read_har(data: bytes) -> ImportResult:
    """Create Event requests (POST .../api/events) of a HAR file, with their responses.
    Other requests a browser recorded are skipped and counted."""
    from composer.domain.convert import guess_revision
    from composer.domain.jsontext import parse_json_text
    from composer.domain.revisions import DEFAULT_REVISION

    result = ImportResult()
    try:
        entries = loads(data.decode("utf-8-sig", errors="replace"))["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"not a HAR file: log.entries is missing or unreadable ({exc})")
        return result
    others = 0
    for number, item in enumerate(entries, start=1):
        try:
            req = item["request"]
            url = str(req["url"])
            if str(req.get("method", "")).upper() != "POST" or not urlsplit(url).path.rstrip(
                "/"
            ).endswith("/api/events"):
                others += 1
                continue
            headers = redact_headers(_pairs(req.get("headers", [])))
            body = str((req.get("postData") or {}).get("text", "")).encode()
            ours = item.get("_eventComposer") or {}
            revision = ours.get("revision") or next(
                (v for k, v in headers if k.lower() == "revision"), None
            )
            if not revision:  # none recorded: the body's layout tells
                parsed = parse_json_text(body)
                revision = guess_revision(parsed.value) if parsed.ok else DEFAULT_REVISION
            metric, profile, _ = describe_body(body)
            context = PlainContext(
                ours.get("target") or _target_of(url),
                ours.get("account"),
                str(revision),
                metric,
                profile,
            )
            created = datetime_to_ms(
                datetime.fromisoformat(str(item["startedDateTime"]).replace("Z", "+00:00"))
            )
            outcome = _har_outcome(item, RequestRecord("POST", url, headers, body), ours)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            result.problems.append(f"entry {number}: unreadable HAR entry ({exc})")
            continue
        result.requests.append(
            ImportedRequest(
                outcome.request if outcome else RequestRecord("POST", url, headers, body),
                context,
                created,
                outcome,
            )
        )
    if others:
        result.problems.append(
            f"{others} other request(s) in the file are not Create Event requests and were skipped"
        )
    return result


def _pairs(headers: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(h["name"]), str(h["value"])) for h in headers)


def _target_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname == "a.klaviyo.com":
        return "production"
    return f"{parts.scheme}://{parts.netloc}"


def _har_outcome(
    item: dict[str, Any], request: RequestRecord, ours: dict[str, Any]
) -> SendOutcome | None:
    from composer.domain.findings import Finding
    from composer.storage.records import attempts_from_json

    resp = item.get("response") or {}
    status = int(resp.get("status") or 0)
    if not status:
        return None
    content = resp.get("content") or {}
    text = str(content.get("text", ""))
    body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
    return SendOutcome(
        request=request,
        status=status,
        response_headers=_pairs(resp.get("headers", [])),
        response_body=body,
        findings=tuple(Finding.from_json(f) for f in ours.get("findings", [])),
        attempts=attempts_from_json(json.dumps(ours.get("attempts", []))),
        total_ms=float(item.get("time") or 0.0),
        extra={"notes": _har_notes(ours)},
    )


def _har_notes(ours: dict[str, Any]) -> list[str] | None:
    """The notes an Event Composer HAR export carries for an entry; None when the file does
    not say (another tool's HAR, an older export): the history then does not know them."""
    notes = ours.get("notes")
    if isinstance(notes, list) and all(isinstance(n, str) for n in notes):
        return notes
    return None


def import_into(
    store: HistoryStore, source: Path | BinaryIO, *, fmt: str | None = None
) -> ImportResult:
    """Read ``source`` and add what it holds to ``store``: HAR entries with a response as
    completed sends, everything else as ``imported`` (never sent from here)."""
    result = read_file(source, fmt=fmt)
    sent = [
        (r.request, r.context, r.outcome, r.created_ms)
        for r in result.requests
        if r.outcome is not None
    ]
    unsent = [
        (r.request, r.context, None, r.created_ms) for r in result.requests if r.outcome is None
    ]
    result.imported = store.add_many(sent, state="complete") + store.add_many(
        unsent, state="imported"
    )
    return result
