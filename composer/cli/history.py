"""`event-composer history`: list, search, show, export and import the send history.

event-composer history [--json] [--limit N] [--search TEXT] [--status 2xx|4xx|5xx] ...
event-composer history show ID [--json]
event-composer history resend ID
event-composer history export --format har|ndjson|curl OUT
event-composer history import PATH
event-composer history move-aside
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, data_dir_from
from composer.domain.jsontext import loads as strict_loads
from composer.domain.outcome import StatusClass

if TYPE_CHECKING:
    from composer.storage.history import HistoryQuery
    from composer.storage.records import HistoryEntry, HistoryRow

STATUS_CHOICES = tuple(c.value for c in StatusClass if c is not StatusClass.NONE)


def _add_filters(p: argparse.ArgumentParser, *, after_action: bool = False) -> None:
    """The entry filters. ``after_action``: an action's copy of them (``history export
    --status 4xx``); its options default to nothing at all, so the filters given before the
    action (``history --status 4xx export``) are kept rather than written over by unset
    ones."""
    unset: Any = argparse.SUPPRESS if after_action else None
    p.add_argument(
        "--search",
        default=unset,
        metavar="TEXT",
        help="full-text search in metric, profile, properties and response",
    )
    p.add_argument(
        "--status",
        action="append",
        default=unset,
        choices=STATUS_CHOICES,
        metavar="CLASS",
        help="only this status class: 2xx, 4xx, 5xx, error (no response) or "
        "pending (unknown outcome); repeat for several",
    )
    p.add_argument(
        "--delivery",
        action="append",
        default=unset,
        choices=("accepted", "not_accepted", "unknown", "not_sent"),
        metavar="STATE",
        help="only this delivery state: accepted, not_accepted (definitely not recorded), "
        "unknown (may have been recorded) or not_sent; repeat for several",
    )
    p.add_argument(
        "--verification",
        action="append",
        default=unset,
        choices=("landed", "not_seen", "cannot_check", "skipped", "unchecked"),
        metavar="VERDICT",
        help="only entries whose read-back (send --verify, replay --verify) found this: "
        "landed, not_seen, cannot_check, skipped, or unchecked (never checked); repeat for "
        "several",
    )
    p.add_argument("--metric", default=unset, metavar="NAME", help="only events of this metric")
    p.add_argument("--target", default=unset, metavar="TARGET", help="only sends to this target")
    p.add_argument(
        "--since",
        default=unset,
        metavar="WHEN",
        type=_when,
        help="only entries since WHEN: a date (2024-05-01), a date and time, or an "
        "age such as 3d or 12h",
    )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="list, search, show, export and import past sends",
        description="The history of sends, newest first. Exit 0, or 2 when the history or a "
        "file cannot be read.",
    )
    _add_filters(p)
    p.add_argument(
        "--limit",
        type=_positive,
        default=20,
        metavar="N",
        help="show at most N entries (default 20)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per entry per line")
    p.set_defaults(handler=run_list)
    hsub = p.add_subparsers(dest="history_command", metavar="ACTION")

    show = hsub.add_parser(
        "show",
        help="print one entry's full request and response",
        description="Print the full request (Authorization redacted) and response of one entry.",
    )
    show.add_argument("id", type=_positive, metavar="ID")
    show.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,  # `history --json show ID` keeps the --json given first
        help="the entry as one JSON object",
    )
    show.set_defaults(handler=run_show)

    from composer.cli import resend

    resend.add_parser(hsub, _positive)

    export = hsub.add_parser(
        "export",
        help="write entries as HAR, NDJSON or cURL",
        description="Export the entries that match the filters (all by default), oldest first. "
        "har: HAR 1.2 for browser tools; ndjson: one Create Event body per line, for "
        "`event-composer replay`; curl: a shell script, the key read from $KLAVIYO_API_KEY. "
        "No format contains the API key.",
    )
    export.add_argument("--format", required=True, choices=("har", "ndjson", "curl"))
    export.add_argument("out", metavar="OUT", help="the file to write, or - for stdout")
    _add_filters(export, after_action=True)
    export.set_defaults(handler=run_export)

    imp = hsub.add_parser(
        "import",
        help="add NDJSON event bodies or a HAR file to the history",
        description="Import event bodies (NDJSON, or a JSON array) as entries that were not "
        "sent from here, or the Create Event requests of a HAR file with their responses. "
        "Exit 0 when everything was imported, 1 when some entries were skipped (each is "
        "named on stderr), 2 when nothing could be imported.",
    )
    imp.add_argument("path", metavar="PATH")
    imp.add_argument(
        "--format",
        choices=("ndjson", "har"),
        help="the file's format (default: from its name and content)",
    )
    imp.set_defaults(handler=run_import)

    aside = hsub.add_parser(
        "move-aside",
        help="rename a damaged history so that a new one starts (nothing is deleted)",
        description="Rename the history file (and its -wal and -shm files) to "
        "history.sqlite3.unreadable-TIME in the same folder, so that the next command starts a "
        "new, empty history. Nothing is deleted: the old file stays there for recovery (for "
        "example with `sqlite3 FILE .recover`). Exit 0 when moved, 2 when there is nothing "
        "to move or it cannot be renamed.",
    )
    aside.set_defaults(handler=run_move_aside)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small; give 1 or more")
    return value


def _when(text: str) -> datetime:
    age = re.fullmatch(r"(\d+)\s*([dhm])", text.strip())
    if age:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[age.group(2)]
        return datetime.now().astimezone() - timedelta(**{unit: int(age.group(1))})
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write 2024-05-01, 2024-05-01T14:30, or an age like 7d"
        ) from None


def _query(args: argparse.Namespace) -> HistoryQuery:
    from composer.storage.history import HistoryQuery

    return HistoryQuery(
        text=args.search or None,
        status_classes=tuple(args.status or ()),
        deliveries=tuple(args.delivery or ()),
        verifications=tuple(getattr(args, "verification", None) or ()),
        metric=args.metric,
        target=args.target,
        since=args.since,
    )


def _open(args: argparse.Namespace) -> Any:
    from composer.storage import open_storage

    return open_storage(data_dir_from(args))


def _fail(message: str) -> int:
    print(f"event-composer history: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _guarded(action: Any, args: argparse.Namespace) -> int:
    """Run ``action(storage, args)``, turning storage errors into one plain sentence."""
    from composer.storage.db import HistoryError

    try:
        with _open(args) as storage:
            result: int = action(storage, args)
            return result
    except HistoryError as exc:
        return _fail(f"{exc}{damaged_advice(exc, args)}")
    except BrokenPipeError:
        raise  # the reader went away (| head): main() ends quietly
    except OSError as exc:
        return _fail(f"{getattr(exc, 'filename', '') or 'file'}: {exc.strerror or exc}")


def damaged_advice(exc: Exception, args: argparse.Namespace) -> str:
    """For a damaged history, the command that moves it aside (else nothing)."""
    from composer.storage.db import HistoryDamaged

    if not isinstance(exc, HistoryDamaged):
        return ""
    data_dir = data_dir_from(args)
    where = f" --data-dir {shlex.quote(str(data_dir))}" if getattr(args, "data_dir", None) else ""
    return f" To do that, run: event-composer{where} history move-aside."


def run_move_aside(args: argparse.Namespace) -> int:
    import time

    from composer.storage.paths import StoragePaths, move_history_aside

    paths = StoragePaths.resolve(data_dir_from(args))
    if not paths.history_db.exists():
        return _fail(f"{paths.history_db}: there is no history file to move aside")
    try:
        moved = move_history_aside(paths, time.strftime("%Y%m%d-%H%M%S"))
    except OSError as exc:
        return _fail(f"{paths.history_db}: cannot be renamed ({exc.strerror or exc})")
    print(
        f"Moved the history to {moved} (nothing deleted). The next command starts a new, "
        "empty history."
    )
    return EXIT_OK


# -- list ------------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    return _guarded(_list, args)


def _row_json(row: HistoryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(timespec="milliseconds"),
        "state": row.state,
        "status": row.status,
        "status_class": row.status_class,
        "metric": row.metric,
        "profile": row.profile,
        "target": row.target,
        "account": row.account,
        "revision": row.revision,
        "total_ms": row.total_ms,
        "error": row.error_kind,
        "findings": row.finding_count,
        "delivery": row.delivery,
        "unique_id": row.unique_id,
        "run_id": row.run_id,
        "run_index": row.run_index,
        "verification": row.verification_json,
    }


def _local(row: HistoryRow) -> str:
    return row.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _columns(char: str) -> int:
    """How many terminal columns ``char`` takes: two for East Asian wide and full-width
    characters (東, ｱ is one), none for a combining mark."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cell(text: str | None, width: int) -> str:
    """``text`` in a column ``width`` terminal columns wide: cut with "…" when longer, padded
    with spaces when shorter, counting columns, not characters, so that 東京都 (six columns)
    lines up with Latin text."""
    text = text or "-"
    used = sum(_columns(c) for c in text)
    if used > width:
        kept: list[str] = []
        used = 1  # the "…"
        for char in text:
            if used + _columns(char) > width:
                break
            kept.append(char)
            used += _columns(char)
        text = "".join(kept) + "…"
    return text + " " * (width - used)


def _list(storage: Any, args: argparse.Namespace) -> int:
    query = _query(args)
    rows = storage.history.page(query, 0, args.limit)
    if args.json:
        for row in rows:
            doc = _row_json(row)
            if _is_job(row):
                doc["job_events"] = [
                    _job_event_json(e) for e in storage.history.job_events(row.id, query.text)
                ]
            print(json.dumps(doc, ensure_ascii=False))
        return EXIT_OK
    total = storage.history.count(query)
    if not rows:
        print(
            "No entries match."
            if total == 0 and storage.history.count()
            else "The history is empty: sends are recorded here."
        )
        return EXIT_OK
    from composer.services.outcome_text import delivery_text

    print(
        f"{'ID':>6}  {'WHEN':19}  {'DELIVERY':12}  {'STATUS':22}  {'METRIC':22}  "
        f"{'PROFILE':26}  TARGET"
    )
    for row in rows:
        print(
            f"{row.id:>6}  {_local(row)}  {delivery_text(row.delivery).label:12}  "
            f"{_cell(row.status_text, 22)}  {_cell(row.metric, 22)}  "
            f"{_cell(row.profile, 26)}  {row.target}"
        )
        if _is_job(row):
            _print_job_events(storage, row, query.text)
    if total > len(rows):
        print(f"({len(rows)} of {total} entries; --limit N shows more)")
    return EXIT_OK


JOB_LINES_LISTED = 5


def _is_job(row: HistoryRow) -> bool:
    from composer.domain.bulk_pack import is_job_url

    return is_job_url(row.url)


def _job_event_json(event: Any) -> dict[str, Any]:
    return {
        "position": event.position,
        "run_index": event.run_index,
        "line": event.line,
        "metric": event.metric,
        "profile": event.profile,
        "unique_id": event.unique_id,
    }


def _print_job_events(storage: Any, row: HistoryRow, text: str | None) -> None:
    """Under a Bulk Create Events job: its size, and with a search the events (by line of
    the replayed file) that hold the words searched for."""
    events = storage.history.job_events(row.id, text)
    if not text:
        print(f"{'':8}a bulk job of {len(events)} events")
        return
    from composer.services.replay_places import recorded_places

    listed = events[:JOB_LINES_LISTED]
    places = recorded_places(
        [(e.run_index if e.run_index is not None else e.position, e.line) for e in listed]
    )
    for event, where in zip(listed, places, strict=True):
        print(f"{'':8}{where}: {event.profile or '-'} · {event.metric or '-'}")
    if len(events) > JOB_LINES_LISTED:
        print(f"{'':8}... and {len(events) - JOB_LINES_LISTED} more events of this job match")


# -- show ------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    return _guarded(_show, args)


def _pretty(body: bytes) -> str:
    if not body:
        return "(empty body)"
    text = body.decode("utf-8", errors="replace")
    try:
        return json.dumps(strict_loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _status_line(entry: HistoryEntry) -> str:
    import http

    row = entry.row
    if row.state == "pending":
        return (
            "unknown outcome: no response was recorded (the app stopped mid-send, or the "
            "send is still running). Klaviyo may or may not have received the event; with a "
            "unique_id, sending it again cannot record it twice."
        )
    if row.state == "imported":
        return "not sent: imported from a file"
    if entry.error is not None:
        if any(a.status is not None for a in entry.attempts):
            # an earlier try got an answer: "no response" would say the server never answered
            from composer.services.attempt_text import attempts_words

            outcome = entry.to_outcome()
            tries = attempts_words(outcome) if outcome is not None else ""
            return f"the tries got {tries}; the send ended: {entry.error.message}"
        return (
            f"no response ({entry.error.kind.value}): {entry.error.message}; {entry.error.advice}"
        )
    assert row.status is not None
    try:
        phrase = http.HTTPStatus(row.status).phrase
    except ValueError:
        phrase = ""
    line = f"{row.status} {phrase}".strip()
    if row.status == 202:
        line += " (accepted for processing; Klaviyo processes events asynchronously)"
    return line


def _delivery_line(entry: HistoryEntry) -> str:
    from composer.services.outcome_text import delivery_text, resend_advice

    row = entry.row
    line = delivery_text(row.delivery).meaning
    if row.delivery in ("unknown", "not_accepted"):
        line += " " + resend_advice(row.unique_id, f"event-composer history resend {row.id}")
    elif row.unique_id:
        line += f" unique_id: {row.unique_id}."
    return line


def _replay_line(storage: Any, row: HistoryRow) -> str:
    """Which replay run sent the entry, and which event of which file it was."""
    try:
        run = storage.history.runs.get(row.run_id)
    except Exception:  # the entry is shown even when the run's record cannot be read
        run = None
    where = f"event {(row.run_index or 0) + 1}"
    if _is_job(row):
        where = f"a bulk job of {len(storage.history.job_events(row.id))} events"
    if run is None:
        return f"{where} of run {row.run_id}"
    return f"{where} of {run.events} in {run.path} ({run.content_hash}), run {run.id}, {run.state}"


def _entry_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        **_row_json(entry.row),
        "request": {
            "method": entry.request.method,
            "url": entry.request.url,
            "headers": [list(h) for h in entry.request.headers],
            "body": entry.request.body.decode("utf-8", errors="replace"),
        },
        "response": None
        if entry.row.state != "complete" or entry.error
        else {
            "status": entry.row.status,
            "headers": [list(h) for h in entry.response_headers],
            "body": entry.response_body.decode("utf-8", errors="replace"),
        },
        "transport_error": None
        if entry.error is None
        else {
            "kind": entry.error.kind.value,
            "message": entry.error.message,
            "request_sent": entry.error.request_sent,
        },
        # null: the entry does not know (recorded before the history kept notes, or no outcome)
        "notes": None if entry.notes is None else list(entry.notes),
        "findings_detail": [f.to_json() for f in entry.findings],
        "attempts": [
            {
                "number": a.number,
                "status": a.status,
                "duration_ms": a.duration_ms,
                "waited_ms": a.waited_ms,
                "error": a.error.kind.value if a.error else None,
            }
            for a in entry.attempts
        ],
    }


def _show(storage: Any, args: argparse.Namespace) -> int:
    from composer.domain.findings import describe_pointer
    from composer.services.outcome_text import rate_limit_words

    entry = storage.history.get(args.id)
    if entry is None:
        return _fail(f"ID: there is no entry {args.id}; `event-composer history` lists them")
    if args.json:
        print(json.dumps(_entry_json(entry), ensure_ascii=False, indent=2))
        return EXIT_OK
    row, out = entry.row, sys.stdout
    account = f" (account {row.account})" if row.account else ""
    print(f"Entry {row.id} · {_local(row)} · {row.target}{account} · revision {row.revision}")
    timing = f" · {row.total_ms:.0f} ms" if row.total_ms is not None else ""
    tries = len(entry.attempts)
    attempts = f" · {tries} attempt{'s' * (tries != 1)}" if tries else ""
    print(f"Status: {_status_line(entry)}{attempts}{timing}")
    print(f"Delivery: {_delivery_line(entry)}")
    outcome = entry.to_outcome()
    rate = rate_limit_words(outcome) if outcome is not None else None
    if rate is not None:
        print(f"Rate limit: {rate}")
    for note in entry.notes or ():
        print(f"Note: {note}")
    verification = _verification_lines(row)
    if verification:
        print("\n".join(verification))
    if row.run_id:
        print(f"Replay: {_replay_line(storage, row)}")
    _section(out, "Request")
    print(f"{entry.request.method} {entry.request.url}")
    for name, value in entry.request.headers:
        print(f"{name}: {value}")
    print()
    print(_pretty(entry.request.body))
    if row.state == "complete" and entry.error is None:
        _section(out, "Response")
        for name, value in entry.response_headers:
            print(f"{name}: {value}")
        print()
        print(_pretty(entry.response_body))
    if entry.findings:
        _section(out, "Findings")
        for f in entry.findings:
            print(f"  {f.severity.value:7} {describe_pointer(f.pointer)}: {f.message}")
    if tries > 1 or any(a.waited_ms >= 1 for a in entry.attempts):
        _section(out, "Attempts")
        for a in entry.attempts:
            what = (
                str(a.status) if a.status is not None else (a.error.kind.value if a.error else "?")
            )
            wait = f" after waiting {a.waited_ms:.0f} ms" if a.waited_ms >= 1 else ""
            print(f"  {a.number}: {what} in {a.duration_ms:.0f} ms{wait}")
    return EXIT_OK


def _verification_lines(row: HistoryRow) -> list[str]:
    """The read-back verdict as `history show` prints it (nothing when never checked)."""
    detail = row.verification_json
    if detail is None:
        return []
    summary = detail.get("summary") or detail["outcome"].replace("_", " ")
    lines = [f"Verification: {summary} ({detail['outcome']}, checked {_local_ms(row)})"]
    if detail.get("event_id"):
        lines.append(
            f"  event {detail['event_id']}, profile {detail.get('profile_id')}, "
            f"metric {detail.get('metric_id')}"
        )
    lines.extend(f"  difference: {d}" for d in detail.get("differences") or [])
    lines.extend(f"  likely: {c}" for c in detail.get("likely_causes") or [])
    if detail.get("missing_scope"):
        lines.append(f"  add the scope {detail['missing_scope']} to the key to check")
    return lines


def _local_ms(row: HistoryRow) -> str:
    from composer.storage.records import ms_to_datetime

    if row.verified_ms is None:
        return "at an unknown time"
    return ms_to_datetime(row.verified_ms).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _section(out: TextIO, title: str) -> None:
    out.write(f"\n── {title} {'─' * max(0, 60 - len(title))}\n")


# -- export and import -----------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    return _guarded(_export, args)


def _export(storage: Any, args: argparse.Namespace) -> int:
    query = _query(args)
    if args.out == "-":
        count = storage.history.export(args.format, sys.stdout, query)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as out:
            count = storage.history.export(args.format, out, query)
    where = "stdout" if args.out == "-" else args.out
    print(
        f"Exported {count} entr{'y' if count == 1 else 'ies'} as {args.format} to {where}.",
        file=sys.stderr,
    )
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    return _guarded(_import, args)


def _import(storage: Any, args: argparse.Namespace) -> int:
    from pathlib import Path

    result = storage.history.import_file(Path(args.path), fmt=args.format)
    for problem in result.problems:
        print(f"{args.path}: {problem}", file=sys.stderr)
    print(
        f"Imported {result.imported} entr{'y' if result.imported == 1 else 'ies'} from {args.path}."
    )
    if not result.problems:
        return EXIT_OK
    # some lines were skipped: a script must not take a partial import for a whole one
    return EXIT_INVALID if result.imported else EXIT_BAD_INPUT
