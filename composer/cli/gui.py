"""`event-composer gui [FILE]` (and plain `event-composer`): open the desktop app, loading FILE
into the composer when given. The global --data-dir applies."""

from __future__ import annotations

import argparse
import os
import sys
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


def no_display_reason(environ: dict[str, str] | None = None) -> str | None:
    """Why the window cannot open here, or None. On Linux and other X11/Wayland systems a
    window needs DISPLAY or WAYLAND_DISPLAY, unless a Qt platform is chosen explicitly."""
    env = os.environ if environ is None else environ
    if sys.platform in ("win32", "darwin") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)"


def run(args: argparse.Namespace) -> int:
    from composer.cli import EXIT_BAD_INPUT, data_dir_from

    reason = no_display_reason()
    if reason is not None:
        print(
            f"event-composer: cannot open the window: {reason}. Run it in a desktop session, "
            "or use the command line, which needs no display: `event-composer --help` "
            "(validate, send, replay, history, key, sandbox).",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    from composer.app import run_gui

    return run_gui(data_dir_from(args), getattr(args, "file", None))
