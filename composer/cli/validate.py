"""`event-composer validate [--revision R] [--json] PATH...`"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out
from composer.cli.env_option import (
    add_env_option,
    apply_environment,
    layout_note,
    load_environment,
    revision_for_body,
)


def add_parser(sub: Any) -> None:
    from composer.domain.revisions import DEFAULT_REVISION, REVISIONS

    p = sub.add_parser(
        "validate",
        help="check event files against the Create Event contract",
        description="Check Create Event bodies against the published schema and the limits in "
        "its prose. Exit 0 when every input is valid, 1 when any is invalid, 2 when any could "
        "not be read or parsed.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a JSON file, or - for stdin")
    p.add_argument(
        "--revision",
        default=None,
        choices=sorted(REVISIONS),
        help=f"API revision (default: the environment's, else {DEFAULT_REVISION}; a body in "
        "the flat layout of 2023-01-24 is checked at 2023-01-24)",
    )
    add_env_option(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per input per line, for scripts (with the resolved body when "
        "the event holds variables)",
    )
    p.set_defaults(handler=run, target=None)


MAX_EVENT_FILE_BYTES = 64 * 1024 * 1024
"""The most an event file may hold to be read at all: far above Klaviyo's 5 MB body limit
(a bigger body is still read and reported), far below what would exhaust memory."""


def read_input(
    path: str,
    max_bytes: int = MAX_EVENT_FILE_BYTES,
    too_large_hint: str = "a Klaviyo request body is at most 5 MB",
) -> tuple[bytes | None, str | None]:
    """Bytes of a file or stdin, or a sentence saying why they could not be read.

    Never raises: a folder, a missing or unreadable file, a device or a file over
    ``max_bytes`` (read no further than that) each give a sentence naming the path.
    """
    name = "<stdin>" if path == "-" else path
    too_large = (
        f"{name}: larger than {max_bytes // (1024 * 1024)} MB, too large to read ({too_large_hint})"
    )
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size > max_bytes:  # refused without reading it
                    return None, too_large
                data = fh.read(max_bytes + 1)  # a device or a growing file: read no further
    except FileNotFoundError:
        return None, f"{name}: no such file"
    except IsADirectoryError:
        return None, f"{name}: is a folder, not a file"
    except PermissionError:
        return None, f"{name}: permission denied; check the file's permissions"
    except MemoryError:
        return None, f"{name}: too large to read into memory"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return None, f"{name}: cannot be read ({reason})"
    if len(data) > max_bytes:
        return None, too_large
    return data, None


def run(args: argparse.Namespace) -> int:
    from composer.domain.findings import Finding, Severity
    from composer.domain.rule_ids import UNREADABLE, is_syntax
    from composer.domain.templates import check_template
    from composer.domain.validator import Validator
    from composer.domain.variables import Scope

    env, env_problem = load_environment(args, list(args.paths))
    if env_problem:
        print(f"event-composer validate: {env_problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    apply_environment(args, env)
    scope = Scope.of(env)
    validators: dict[str, Validator] = {}
    followed: list[tuple[str, str]] = []  # (name, revision): taken at their layout's revision
    worst = EXIT_OK
    for path in args.paths:
        raw, problem = read_input(path)
        resolved: str | None = None
        revision = args.revision or revision_for_body(raw or b"")
        if revision not in validators:
            validators[revision] = Validator(revision)
        validator = validators[revision]
        if raw is None:
            finding = Finding("", Severity.ERROR, UNREADABLE, problem or "cannot be read")
            findings: tuple[Finding, ...] = (finding,)
        else:
            text = _utf8(raw)
            if text is None:
                findings = validator.validate_text(raw).findings
            else:
                checked = check_template(text, validator, scope)
                findings = checked.report.findings
                if checked.template is not None:
                    resolved = checked.resolution.text
        unreadable = any(is_syntax(f.rule) for f in findings)
        valid = not any(f.is_error for f in findings)
        if unreadable:
            worst = EXIT_BAD_INPUT
        elif not valid and worst == EXIT_OK:
            worst = EXIT_INVALID
        name = "<stdin>" if path == "-" else path
        # Keeps validating after the reader went away (| head): the exit status covers all.
        if args.json:
            doc: dict[str, Any] = {
                "path": name,
                "revision": revision,
                "valid": valid,
                "findings": [f.to_json() for f in findings],
            }
            if resolved is not None:
                doc["resolved_body"] = resolved
            print_out(json.dumps(doc, ensure_ascii=False))
        else:
            print_out(_report(name, findings, valid))
        if not args.revision and raw is not None and layout_note(revision):
            followed.append((name, revision))
    if followed and not args.json:
        names = [name for name, _rev in followed]
        subject = names[0] + " is" if len(names) == 1 else f"{len(names)} events are"
        print(f"validate: {layout_note(followed[0][1], subject)}", file=sys.stderr)
    if not args.json:
        from composer.services.retired import checked_note

        # "valid" at a retired revision is not what Klaviyo answers today: say so, once each
        for revision in validators:
            note = checked_note(revision)
            if note is not None:
                print(f"validate: note: {note}", file=sys.stderr)
    return worst


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the validator reports bytes that are not UTF-8


def _report(name: str, findings: tuple[Any, ...], valid: bool) -> str:
    errors = sum(1 for f in findings if f.is_error)
    warnings = len(findings) - errors
    if valid and not findings:
        return f"{name}: valid"
    head = f"{name}: {'valid' if valid else 'INVALID'}"
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        counts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    lines = [f"{head} ({', '.join(counts)})"]
    for f in findings:
        where = f.pointer or "(document)"
        if f.line is not None:
            where = f"line {f.line}, column {f.column}"
        lines.append(f"  {f.severity.value:7} {where}: {f.message}  [{f.rule}]")
    return "\n".join(lines)
