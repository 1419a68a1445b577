"""`event-composer history resend ID`: send a history entry's request again, byte for byte.

The request keeps its unique_id, so Klaviyo records the event at most once however many times
it is resent: this is the safe "try again" for an event whose delivery is unknown. Exit codes
are those of `send`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, Any

from composer.cli import EXIT_BAD_INPUT, print_out

if TYPE_CHECKING:
    from composer.storage.records import HistoryEntry


def add_parser(hsub: Any, positive: Any) -> None:
    """Register `resend` under `history` (``positive`` parses the ID)."""
    p = hsub.add_parser(
        "resend",
        help="send an entry again exactly, with its unique_id (never a duplicate)",
        description="Send the request of history entry ID again, byte for byte, to the same "
        "target with the same account and revision (or --target/--account). Its unique_id is "
        "kept, so Klaviyo records the event at most once: the safe way to try again when an "
        "outcome is unknown. An entry without a unique_id that may have been recorded is only "
        "resent with --allow-duplicate.",
    )
    p.add_argument("id", type=positive, metavar="ID")
    p.add_argument("--target", metavar="sandbox|production|URL", help="default: the entry's")
    p.add_argument("--account", metavar="NAME", help="default: the entry's account")
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="resend an entry that has no unique_id even though it may have been recorded",
    )
    p.add_argument("--attempts", type=int, default=None, metavar="N", help="tries (default 4)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    p.set_defaults(handler=run)


def _err(message: str) -> int:
    print(f"event-composer history resend: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run(args: argparse.Namespace) -> int:
    import asyncio

    from composer.cli.send import (
        EXIT_INTERRUPTED,
        check_common,
        client_settings,
        exit_code,
        open_sender,
        open_storage,
        render_result,
        result_to_json,
    )
    from composer.services.outcome_text import delivery_text

    storage = open_storage(args, "history resend")
    if storage is None:
        return _err("the history cannot be opened, so there is no entry to resend")
    try:
        entry = storage.history.get(args.id)
        if entry is None:
            return _err(f"ID: there is no entry {args.id}; `event-composer history` lists them")
        from composer.domain.bulk_pack import is_job_url

        if is_job_url(entry.request.url):
            return _err(_job_refusal(storage, entry))
        unique_id = entry.row.unique_id
        doubt = entry.row.delivery in ("accepted", "unknown")
        if unique_id is None and doubt and not args.allow_duplicate:
            return _err(
                f"entry {entry.id} has no unique_id and its delivery is "
                f"{delivery_text(entry.row.delivery).label}: if it was recorded, sending it "
                "again records it twice. Check the profile in Klaviyo, then resend with "
                "--allow-duplicate if it is missing"
            )
        opts = _send_options(args, entry)
        problem = check_common(opts)
        if problem:
            return _err(problem)
        sender, code = open_sender(opts, storage, "history resend", client_settings(opts))
        if sender is None:
            return code
        if not args.json:
            print_out(_intro(entry))
        try:
            result = asyncio.run(_resend(sender, entry))
        except KeyboardInterrupt:
            _err("cancelled: the server may or may not have received the resend")
            return EXIT_INTERRUPTED
    finally:
        storage.close()
    name = f"history entry {entry.id}"
    if args.json:
        doc = result_to_json(result, sender, name)
        doc["resent_from"] = entry.id
        print_out(json.dumps(doc, ensure_ascii=False))
    else:
        print_out(render_result(result, sender, name))
    return exit_code(result)


def _job_refusal(storage: Any, entry: HistoryEntry) -> str:
    """Why a Bulk Create Events job is not resent as it is, and what sends its events again."""
    head = (
        f"entry {entry.id} is a bulk job, not a Create Event body: nothing was sent. Send its "
        "events again by resuming its replay"
    )
    run = None
    if entry.row.run_id:
        try:
            run = storage.history.runs.get(entry.row.run_id)
        except Exception:  # the advice does without the run's record when it cannot be read
            run = None
    if run is not None and run.path and not run.path.startswith("<"):
        command = f"`event-composer replay {shlex.quote(run.path)} --bulk --resume`"
    else:
        command = "(`event-composer replay FILE --bulk --resume` with the file it came from)"
    return (
        f"{head} {command}, which sends only the events not accepted, with their unique_ids; "
        f"or send one of them alone: `event-composer history show {entry.id}` shows the job"
    )


def _send_options(args: argparse.Namespace, entry: HistoryEntry) -> argparse.Namespace:
    """The options `send` would have had, taken from the entry unless given."""
    return argparse.Namespace(
        target=args.target or entry.row.target,
        account=args.account,
        # the entry's account is only a default: the history (or an imported file) naming it is
        # not the user naming it, so its key goes by itself only to Klaviyo or this machine
        recorded_account=entry.row.account,
        revision=entry.row.revision,
        history=True,
        attempts=args.attempts,
        timeout=args.timeout,
        data_dir=getattr(args, "data_dir", None),
    )


def _intro(entry: HistoryEntry) -> str:
    unique_id = entry.row.unique_id
    if unique_id is None:
        return f"Resending entry {entry.id} exactly (it has no unique_id)."
    return (
        f"Resending entry {entry.id} exactly, with its unique_id {unique_id}: Klaviyo records "
        "an event with the same unique_id only once, so if the first send was recorded this "
        "one is not recorded again."
    )


async def _resend(sender: Any, entry: HistoryEntry) -> Any:
    async with sender:
        # the bytes it sent, and the template they were resolved from for the new entry
        return await sender.send(
            entry.request.body, force=True, fill_unique_id=False, template=entry.template
        )
