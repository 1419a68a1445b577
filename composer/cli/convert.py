"""`event-composer convert --to REVISION [--from REVISION] FILE|-`"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out


def add_parser(sub: Any) -> None:
    from composer.domain.revisions import NEWEST_REVISION, REVISIONS

    p = sub.add_parser(
        "convert",
        help="convert an event body to another API revision",
        description="Convert a Create Event body between revisions (the flat 2023-01-24 shape "
        "and the later profile.data / metric.data shape, in both directions). The converted "
        "body goes to stdout, the report of what moved and what has no equivalent to stderr. "
        "Exit 0 when every member found a home, 1 when some did not (the output keeps their "
        "data where the report says), 2 when the input cannot be read or parsed.",
    )
    p.add_argument("path", metavar="FILE", help="a JSON file, or - for stdin")
    p.add_argument(
        "--to",
        required=True,
        choices=list(REVISIONS),
        metavar="REVISION",
        help=f"target revision, one of {', '.join(REVISIONS)} (newest {NEWEST_REVISION})",
    )
    p.add_argument(
        "--from",
        dest="from_",
        default=None,
        choices=list(REVISIONS),
        metavar="REVISION",
        help="revision the body was written for (default: 2023-01-24 for the flat shape, "
        "the newest for the later shape)",
    )
    p.add_argument(
        "--report-json",
        action="store_true",
        help="write the report to stderr as one JSON object instead of lines of text",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from composer.cli.validate import read_input
    from composer.domain.convert import convert
    from composer.domain.jsontext import parse_json_text

    raw, problem = read_input(args.path)
    if raw is None:
        print(f"event-composer convert: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    parsed = parse_json_text(raw)
    if parsed.finding is not None:
        f = parsed.finding
        where = f" (line {f.line}, column {f.column})" if f.line is not None else ""
        name = "<stdin>" if args.path == "-" else args.path
        print(f"event-composer convert: {name}{where}: {f.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from composer.domain.spelling import dump_keeping_spelling, read_keeping_spelling

    # numbers keep their spelling (1.10, 1e2), as they were written
    value, spelled = read_keeping_spelling(raw)
    result = convert(value, args.to, args.from_)
    print_out(dump_keeping_spelling(result.body, spelled=spelled))
    if args.report_json:
        print(json.dumps(result.report.to_json(), ensure_ascii=False), file=sys.stderr)
    else:
        print("\n".join(result.report.lines()), file=sys.stderr)
    return EXIT_OK if result.report.complete else EXIT_INVALID
