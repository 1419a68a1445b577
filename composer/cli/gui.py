"""`event-composer gui [FILE]` (and plain `event-composer`): open the desktop app, loading FILE
into the composer when given. The global --data-dir applies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gui",
        help="open the desktop app (the default without a command)",
        description="Open the desktop app. FILE, when given, is loaded into the composer.",
    )
    p.add_argument("file", nargs="?", type=Path, metavar="FILE", help="an event JSON file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from composer.app import run_gui
    from composer.cli import data_dir_from

    return run_gui(data_dir_from(args), getattr(args, "file", None))
