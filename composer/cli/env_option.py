"""`--env NAME|FILE.json` for the commands that resolve variables (`send`, `validate`).

A name is looked up as ``environments/NAME.json`` next to the event file and in each folder
above it (a collection's environments), then in the current folder, then in the user's own
environments folder (``--data-dir``/environments, else the platform's config folder).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from composer.cli import data_dir_from

if TYPE_CHECKING:
    from composer.domain.environments import Environment


def add_env_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--env",
        metavar="NAME|FILE.json",
        help="resolve {{variables}} with this environment (a name looked up in "
        "environments/ beside the event file and the folders above it, the current folder "
        "and the user's environments folder, or a path to its .json file); its target, "
        "account and revision apply unless --target, --account or --revision are given",
    )


def environment_folders(event_paths: list[str], args: argparse.Namespace) -> list[Path]:
    """Where ``--env NAME`` is looked for, nearest first (see the module's docstring)."""
    folders: list[Path] = []
    for path in event_paths:
        if path == "-":
            continue
        start = Path(path).resolve().parent
        for folder in (start, *start.parents):
            candidate = folder / "environments"
            if candidate.is_dir() and candidate not in folders:
                folders.append(candidate)
    here = Path.cwd() / "environments"
    if here not in folders:
        folders.append(here)
    user = _user_folder(args)
    if user is not None and user not in folders:
        folders.append(user)
    return folders


def load_environment(
    args: argparse.Namespace, event_paths: list[str]
) -> tuple[Environment | None, str | None]:
    """The environment ``--env`` names (None without ``--env``), or a sentence saying why it
    cannot be used (naming the file and the field)."""
    from composer.domain.environments import EnvironmentFileError, find_environment
    from composer.domain.revisions import REVISIONS

    wanted = getattr(args, "env", None)
    if not wanted:
        return None, None
    try:
        found = find_environment(environment_folders(event_paths, args), wanted)
    except EnvironmentFileError as exc:
        return None, f"--env: {exc}"
    env = found.environment
    if env.revision is not None and env.revision not in REVISIONS:
        return None, (
            f"--env: {found.path}: revision {env.revision!r} is not a revision this version "
            f"knows; use one of {', '.join(sorted(REVISIONS))}"
        )
    return env, None


def apply_environment(args: argparse.Namespace, env: Environment | None) -> None:
    """Fill ``target``, ``account`` and ``revision`` the command line left out (None) from the
    environment, else the target with the sandbox. A revision named by neither stays None: each
    body then goes at :func:`revision_for_body` (the default revision, or the flat layout's)."""
    if args.target is None:
        args.target = (env.target if env else None) or "sandbox"
    if getattr(args, "account", None) is None and env is not None and env.account:
        # kept apart from --account: a file (perhaps a shared collection's) does not name an
        # account for another host than Klaviyo or this machine (see open_sender)
        args.env_account = env.account
    if args.revision is None and env is not None and env.revision:
        args.revision = env.revision


def revision_for_body(raw: bytes) -> str:
    """The revision for a body when neither --revision nor an environment names one: the
    default revision (the newest), or 2023-01-24 for a body written in the flat layout of
    that revision, which the app has always sent at it (a body that does not parse: the
    default, whose validator then says what is wrong)."""
    from composer.domain.convert import guess_revision
    from composer.domain.jsontext import parse_json_text
    from composer.domain.revisions import DEFAULT_REVISION

    parsed = parse_json_text(raw)
    return guess_revision(parsed.value) if parsed.ok else DEFAULT_REVISION


def layout_note(revision: str, subject: str = "the event is") -> str | None:
    """What to tell the user when a body was taken at its layout's revision rather than the
    default one (None when it was not). ``subject``: what was, e.g. "a.json and b.json are"."""
    from composer.domain.revisions import DEFAULT_REVISION

    if revision == DEFAULT_REVISION:
        return None
    return (
        f"note: {subject} written in the layout of {revision} and no revision was named, so "
        f"{revision} applies; give --revision, or convert with `event-composer convert --to "
        f"{DEFAULT_REVISION} FILE`"
    )


def _user_folder(args: argparse.Namespace) -> Path | None:
    try:
        from composer.storage.paths import StoragePaths
    except ImportError:
        return None
    try:
        return StoragePaths.resolve(data_dir_from(args)).environments_dir
    except Exception:  # an unusable config folder: there are no user environments then
        return None
