"""What `replay` and `replay --bulk` share before the first send: counting the file (streamed,
keeping nothing), saying why it cannot be read, and finding the run `--resume` continues with
what is left of it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from composer.cli import EXIT_BAD_INPUT
from composer.cli.send import err

if TYPE_CHECKING:
    from composer.services.ports import RunLog
    from composer.services.replay_input import EventFile
    from composer.services.replay_runs import ResumePlan

FIRST_BULK_REVISION = "2024-05-15"


def unreadable(name: str, exc: OSError) -> str:
    """Why the file ``name`` cannot be read, in a sentence."""
    if isinstance(exc, FileNotFoundError):
        return f"{name}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{name}: is a folder, not a file"
    if isinstance(exc, PermissionError):
        return f"{name}: permission denied; check the file's permissions"
    return f"{name}: cannot be read ({exc.strerror or exc})"


def scan_file(path: str, name: str) -> tuple[EventFile | None, str | None]:
    """Count the events of the file at ``path`` and hash it, reading it once as a stream
    (memory stays flat): the counted file, or why it cannot be read as events."""
    from composer.services.replay_input import EventFile, ReplayInputError

    try:
        return EventFile.scan(path), None
    except ReplayInputError as exc:
        return None, f"{name}: {exc}"
    except OSError as exc:
        return None, unreadable(name, exc)


def plan_cli_resume(
    args: argparse.Namespace, runs: RunLog | None, file: EventFile, name: str, *, bulk: bool
) -> tuple[ResumePlan | None, int | None]:
    """Find the run ``--resume`` continues and what is left of it: (the plan, None), or
    (None, the exit code) after saying why not. Takes the run's body options (run id,
    revision, --force, --no-unique-id) into ``args``: the resumed events go out as before."""
    from composer.client import TargetError, parse_target
    from composer.services.replay_runs import ResumeRefused, plan_resume

    if runs is None:
        err("replay", "--resume: the history cannot be opened, and the run is recorded there")
        return None, EXIT_BAD_INPUT
    try:
        target = parse_target(args.target).label
    except TargetError as exc:
        err("replay", f"--target: {exc}")
        return None, EXIT_BAD_INPUT
    try:
        plan = plan_resume(runs, file, target, name)
    except ResumeRefused as exc:
        err("replay", f"--resume: {exc}")
        return None, EXIT_BAD_INPUT
    except Exception as exc:  # HistoryError: the history is there but cannot be read
        err("replay", f"--resume: the history cannot be read ({exc})")
        return None, EXIT_BAD_INPUT
    run = plan.run
    args.run_id = run.id
    if not bulk or run.revision >= FIRST_BULK_REVISION:
        args.revision = run.revision
    args.force = run.force
    args.fill_unique_id = run.fill_unique_id
    return plan, None
