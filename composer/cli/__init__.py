"""`event-composer`: the command line. Each subcommand lives in its own module here with
``add_parser(subparsers)`` and keeps heavy imports inside its handler, so that
`event-composer validate` starts fast and never loads Qt."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from composer import __version__
from composer.cli.terminal import protect_terminal_streams

# Subcommand name -> module. A module that is absent (not built yet) is simply not offered.
SUBCOMMANDS = {
    "gui": "composer.cli.gui",
    "validate": "composer.cli.validate",
    "send": "composer.cli.send",
    "replay": "composer.cli.replay",
    "run": "composer.cli.run",
    "history": "composer.cli.history",
    "key": "composer.cli.key",
    "sandbox": "composer.cli.sandbox",
    "convert": "composer.cli.convert",
}

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT = 0, 1, 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only``, the global options and that one subcommand
    (each subcommand's module is imported to add its options, which costs start-up time)."""
    from composer.domain.revisions import DEFAULT_REVISION, NEWEST_REVISION, OLDEST_REVISION

    parser = argparse.ArgumentParser(
        prog="event-composer",
        description="Compose, validate and send Klaviyo Create Event requests "
        f"(POST /api/events, revisions {OLDEST_REVISION} to {NEWEST_REVISION}; "
        f"default {DEFAULT_REVISION}). Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep all state (history, settings) in DIR; also EVENT_COMPOSER_DATA_DIR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (Qt offscreen, validate, send to the sandbox, history) "
        "in a temporary folder; exit 0 when every step passes",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).add_parser(sub)
    return parser


def print_out(text: str) -> bool:
    """Print ``text`` to stdout now; False when the reader went away (``| head``, or a
    terminal that was closed: EIO), which is not an error: the caller keeps its own exit
    status (a send that got a 400 still fails)."""
    try:
        print(text)
        sys.stdout.flush()
    except OSError:  # BrokenPipeError, or EIO from a hung-up terminal
        silence_stdout()
        return False
    return True


def silence_stdout() -> None:
    """Point stdout at /dev/null after a closed pipe, so the flush at exit cannot fail again
    (Python would print "Exception ignored" and exit 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def data_dir_from(args: argparse.Namespace) -> Path | None:
    """The --data-dir option, else EVENT_COMPOSER_DATA_DIR, else None (platform folders)."""
    if getattr(args, "data_dir", None):
        return Path(args.data_dir)
    env = os.environ.get("EVENT_COMPOSER_DATA_DIR")
    return Path(env) if env else None


def _printable_streams() -> None:
    """Let stdout print any text: a character the terminal's encoding lacks (or a lone
    surrogate quoted from a file) is written as an escape instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names ("gui" when it names none), or None when only the whole
    parser can tell (help, --version, an unknown word or option): then it is built whole."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--data-dir":
            i += 2
        elif word.startswith("--data-dir=") or word in ("-v", "--verbose", "--self-test"):
            i += 1
        elif word.startswith("-"):
            return None
        else:
            return word if word in SUBCOMMANDS else None
    return "gui"


def main(argv: Sequence[str] | None = None) -> int:
    _printable_streams()
    protect_terminal_streams()
    # Only the named subcommand's module is loaded: the window opens sooner without the
    # others' imports (the full parser still answers --help and mistakes).
    parser = build_parser(only=_named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.self_test:
        from composer.app import STARTUP_PROBE_ENV, run_gui
        from composer.ui.selftest import run as self_test

        return self_test(run_gui=run_gui, probe_env=STARTUP_PROBE_ENV)
    if args.command is None:
        if importlib.util.find_spec(SUBCOMMANDS["gui"]) is not None:
            args = parser.parse_args([*(argv or sys.argv[1:]), "gui"])
        else:
            parser.print_help()
            return EXIT_OK
    handler = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        silence_stdout()
        return EXIT_OK
    except Exception as exc:
        # A bug, not bad input: one sentence instead of a traceback (-v logs the traceback).
        logging.getLogger("composer.cli").debug("unexpected error", exc_info=True)
        print(
            f"event-composer {args.command}: internal error ({type(exc).__name__}: {exc}); "
            "run again with -v for the details, and please report it",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
