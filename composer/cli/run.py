"""`event-composer run PATH [--env NAME] [--junit FILE] [--json] [--bail] [--delay MS]
[--data FILE.csv|FILE.ndjson]`

Runs a collection (docs/collections.md): every request in order, through the history, the
rate limiter and the key rules like `send`, each checked against its ``NAME.expect.json``.
PATH is a collection folder, any folder of one (its requests and their subfolders) or one
``NAME.event.json``. A line per request and a summary; ``--json`` one document; ``--junit``
also writes a JUnit XML report for CI.

Exit 0 when every expectation held, 1 when any failed (or the run was cut short by --bail),
2 when the collection, the environment, the data file or the options cannot be used (nothing
is sent then), 128 + the signal's number when stopped by Ctrl-C (130), SIGTERM (143) or SIGHUP
(129): the send under way is cancelled and what ran is reported, JUnit included."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, print_out
from composer.cli.send import check_common, err, open_sender, open_storage

if TYPE_CHECKING:
    from composer.services.runner import RequestResult, Runner, RunProgress, RunReport
    from composer.storage.collections import Collection, RequestItem

MAX_DELAY_MS = 600_000


def _delay(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of milliseconds"
        ) from None
    if not 0 <= value <= MAX_DELAY_MS:
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to {MAX_DELAY_MS} milliseconds")
    return value


def add_parser(sub: Any) -> None:
    from composer.domain.revisions import DEFAULT_REVISION, REVISIONS

    p = sub.add_parser(
        "run",
        help="run a collection and check each request's expectations",
        description="Send every request of a collection (a folder of NAME.event.json files, "
        "see docs/collections.md) in order and check each against its NAME.expect.json "
        "(a request without one must be accepted: 202). Exit 0 when every expectation held, "
        "1 when any failed, 2 when the collection cannot be read.",
    )
    p.add_argument(
        "path",
        metavar="PATH",
        help="a collection folder, a folder in one, or one NAME.event.json",
    )
    p.add_argument(
        "--env",
        metavar="NAME|FILE.json",
        help="the environment: environments/NAME.json of the collection (or a folder above "
        "it, the current folder, the user's environments folder), or a path to its file; "
        "its target, account, revision and variables apply",
    )
    p.add_argument(
        "--target",
        default=None,
        metavar="sandbox|production|URL",
        help="where to send, over the environment's (default: the built-in sandbox)",
    )
    p.add_argument(
        "--account",
        default=None,
        metavar="NAME",
        help="the keyring account whose key is used, over the environment's",
    )
    p.add_argument(
        "--revision",
        default=None,
        choices=sorted(REVISIONS),
        help="the API revision, over the environment's (without either: "
        f"{DEFAULT_REVISION}, and a request in the flat layout of 2023-01-24 goes at 2023-01-24)",
    )
    p.add_argument("--junit", metavar="FILE", type=Path, help="also write a JUnit XML report")
    p.add_argument("--json", action="store_true", help="print one JSON document, for scripts")
    p.add_argument("--bail", action="store_true", help="stop at the first request that fails")
    p.add_argument(
        "--delay",
        type=_delay,
        default=0,
        metavar="MS",
        help="wait MS milliseconds between requests (the rate limits are kept anyway)",
    )
    p.add_argument(
        "--data",
        metavar="FILE.csv|FILE.ndjson",
        type=Path,
        help="run the collection once per row: a CSV file with a header row of variable "
        "names, or one JSON object per line",
    )
    p.add_argument(
        "--no-history",
        dest="history",
        action="store_false",
        help="do not record the sends in the history",
    )
    # attempts and timeout: the client's defaults (check_common reads them)
    p.set_defaults(handler=run, attempts=None, timeout=None)


def run(args: argparse.Namespace) -> int:
    from composer.services.run_data import DataFileError, read_rows
    from composer.storage.collections import CollectionError

    problem = check_common(args)  # e.g. an API key typed as --account
    if problem:
        err("run", problem)
        return EXIT_BAD_INPUT
    try:
        collection, items, problems = open_collection(Path(args.path))
    except CollectionError as exc:
        err("run", str(exc))
        return EXIT_BAD_INPUT
    try:
        collection.variables()  # a broken collection.json stops the run before any send
    except CollectionError as exc:
        err("run", f"{collection.name}/{exc}")
        return EXIT_BAD_INPUT
    for listed in problems:
        err("run", f"warning: {collection.name}/{listed} (skipped)")
    if not items:
        err("run", f"{args.path}: holds no requests (NAME.event.json files); nothing to run")
        return EXIT_BAD_INPUT
    rows = None
    if args.data is not None:
        try:
            rows = read_rows(args.data)
        except DataFileError as exc:
            err("run", f"--data: {exc}")
            return EXIT_BAD_INPUT
    environment, unusable = _environment(args, collection)
    if unusable:
        err("run", unusable)
        return EXIT_BAD_INPUT
    storage = open_storage(args, "run")
    try:
        sender, code = open_sender(args, storage, "run", _settings())
        if sender is None:
            return code
        from composer.services.runner import Runner

        runner = Runner(
            sender,
            environment=environment,
            delay=args.delay / 1000,
            follow_layout=getattr(args, "follow_layout", False),
        )
        if not args.json:
            print_out(_header(collection, items, rows, sender, environment))
        report, stopped_by = _run(runner, collection, items, rows, args)
    finally:
        if storage is not None:
            storage.close()
    written = _write_junit(args, report, sender, environment)
    if args.json:
        print_out(json.dumps(_to_json(report, args, sender, environment), ensure_ascii=False))
    else:
        print_out(_summary(report, stopped_by is not None))
    if stopped_by is not None:
        return 128 + stopped_by
    if not written:
        return EXIT_BAD_INPUT
    return EXIT_OK if report.ok else EXIT_INVALID


def open_collection(path: Path) -> tuple[Collection, list[RequestItem], list[str]]:
    """The collection PATH is in, the requests to run and the problems of its listing.

    A folder runs everything below it; a ``NAME.event.json`` runs that one request. The
    collection is the nearest folder at or above PATH with a ``collection.json`` or an
    ``environments`` folder (else PATH's folder), so a subfolder's run has its collection's
    variables and its requests keep their keys. Raises CollectionError.
    """
    from composer.domain.collection_rules import request_name
    from composer.storage.collections import Collection, CollectionError, collection_root_of

    wanted: str | None = None
    folder = path
    if path.is_file() or (path.suffix == ".json" and not path.is_dir()):
        wanted = request_name(path.name)
        if wanted is None:
            raise CollectionError(
                f"{path}: give a collection folder or a NAME.event.json request file"
            )
        folder = path.parent
    collection = Collection(folder)
    collection.check()
    root = collection_root_of(folder)
    rel = folder.absolute().relative_to(root).as_posix() if root != folder.absolute() else ""
    rel = "" if rel == "." else rel
    collection = Collection(root)
    tree = collection.tree(rel)
    key_folder = f"{rel}/" if rel else ""
    items = [r for r in tree.root.requests() if r.key.startswith(key_folder)]
    if wanted is not None:
        key = key_folder + wanted
        items = [r for r in items if r.key == key]
        if not items:
            listed = [str(p) for p in tree.problems if p.path == key + ".event.json"]
            raise CollectionError(listed[0] if listed else f"{path}: no such request")
        return collection, items, []
    return collection, items, [str(p) for p in tree.problems]


def _settings() -> Any:
    from composer.client import ClientSettings

    return ClientSettings()


def _environment(args: argparse.Namespace, collection: Collection) -> tuple[Any, str | None]:
    """The environment --env names (None without), after filling --target, --account and
    --revision the command line left out from it; or a sentence saying why it cannot be used.

    A name is looked up as environments/NAME.json in the collection's folder and each folder
    above it (a subfolder run finds its collection's), then in the current folder and the
    user's environments folder."""
    from composer.domain.environments import EnvironmentFileError, find_environment
    from composer.domain.revisions import DEFAULT_REVISION, REVISIONS
    from composer.storage.collections import CollectionError

    env = None
    if args.env:
        own = f"environments/{args.env}.json"
        if "/" not in args.env and (collection.root / own).is_symlink():
            try:
                collection.path_of(own)  # a link out of the collection is not followed
            except CollectionError as exc:
                return None, f"--env: {exc}"
        try:
            env = find_environment(
                _environment_folders(collection.root, args), args.env
            ).environment
        except EnvironmentFileError as exc:
            return None, f"--env: {exc}"
        if env.revision is not None and env.revision not in REVISIONS:
            return None, (
                f"--env {args.env}: revision {env.revision!r} is not a revision this version "
                f"knows; use one of {', '.join(sorted(REVISIONS))}"
            )
    if args.target is None:
        args.target = (env.target if env is not None else None) or "sandbox"
    if args.account is None and env is not None and env.account:
        args.env_account = env.account  # not named for another host (see open_sender)
    if args.revision is None:
        args.revision = env.revision if env is not None else None
    args.follow_layout = args.revision is None
    if args.revision is None:
        args.revision = DEFAULT_REVISION  # requests in the flat layout go at theirs (Runner)
    return env, None


def _environment_folders(root: Path, args: argparse.Namespace) -> list[Path]:
    from composer.cli import data_dir_from

    start = root.absolute()
    folders = [f / "environments" for f in (start, *start.parents)]
    folders = [f for f in folders if f.is_dir()]
    here = Path.cwd() / "environments"
    if here not in folders:
        folders.append(here)
    from composer.storage.paths import StoragePaths

    with contextlib.suppress(Exception):  # an unusable config folder has no environments
        folders.append(StoragePaths.resolve(data_dir_from(args)).environments_dir)
    return folders


def _run(
    runner: Runner,
    collection: Collection,
    items: list[RequestItem],
    rows: list[dict[str, str]] | None,
    args: argparse.Namespace,
) -> tuple[RunReport, int | None]:
    """Run and print a line per request as it ends; (report, the signal that stopped it).

    Ctrl-C, SIGTERM (a CI job's time-out) and SIGHUP cancel the run: the send under way is
    cancelled (its history entry says so) and what ran is still reported, JUnit included."""
    import asyncio
    import signal

    from composer.services.runner import RunReport

    seen: list[RequestResult] = []
    stopped: list[int] = []

    def progress(step: RunProgress) -> None:
        if step.result is None:
            return
        seen.append(step.result)
        if not args.json:
            print_out(_line(step.result, rows is not None))

    def on_signal(signum: int) -> None:
        stopped.append(signum)
        runner.cancel()

    async def go() -> RunReport:
        loop = asyncio.get_running_loop()
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, on_signal, int(signum))
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread, or Windows: Ctrl-C interrupts as usual
        try:
            async with runner.sender:
                return await runner.run(
                    collection, items=items, rows=rows, bail=args.bail, progress=progress
                )
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    try:
        report = asyncio.run(go())
    except KeyboardInterrupt:
        passes = [None] if rows is None else list(range(1, len(rows) + 1))
        plan = [(item.key, row) for row in passes for item in items]
        return RunReport(collection.name, seen, cancelled=True, plan=plan), int(signal.SIGINT)
    return report, (stopped[0] if stopped else None)


def _header(
    collection: Collection,
    items: list[RequestItem],
    rows: list[dict[str, str]] | None,
    sender: Any,
    environment: Any,
) -> str:
    count = f"{len(items)} request{'s' * (len(items) != 1)}"
    if rows is not None:
        count += f" x {len(rows)} data row{'s' * (len(rows) != 1)}"
    env = f", environment {environment.name}" if environment is not None else ""
    return (
        f"Running {collection.name} ({count}) against {sender.target.describe()}{env}; "
        f"key: {sender.key_source}"
    )


def _line(result: RequestResult, with_rows: bool) -> str:
    word = "PASS" if result.passed else "FAIL"
    row = f"row {result.row}  " if with_rows and result.row is not None else ""
    status = str(result.status) if result.status is not None else "---"
    entry = f"  history #{result.history_id}" if result.history_id is not None else ""
    lines = [f"{word}  {row}{result.key}  {status}{entry}  {result.duration_ms:.0f} ms"]
    lines.extend(f"      {reason}" for reason in result.reasons())
    return "\n".join(lines)


def _summary(report: RunReport, interrupted: bool) -> str:
    """The last lines: counts, time, and whether every expectation held."""
    seconds = report.duration_ms / 1000
    parts = [f"{report.passed} passed", f"{report.failed} failed"]
    if report.not_run:
        why = "interrupted" if interrupted else ("--bail" if report.bailed else "cancelled")
        parts.append(f"{len(report.not_run)} not run ({why})")
    verdict = "All expectations held." if report.ok else "Some expectations did not hold."
    if interrupted:
        verdict = "Interrupted: the request under way was cancelled (its history entry says so)."
    return (
        f"\n{report.planned} request{'s' * (report.planned != 1)}: {', '.join(parts)} "
        f"in {seconds:.1f} s. {verdict}"
    )


def _properties(args: argparse.Namespace, sender: Any, environment: Any) -> dict[str, str]:
    props = {"target": sender.target.label, "revision": sender.client.revision.name}
    if environment is not None:
        props["environment"] = environment.name
    if args.data is not None:
        props["data"] = str(args.data)
    return props


def _write_junit(
    args: argparse.Namespace, report: RunReport, sender: Any, environment: Any
) -> bool:
    if args.junit is None:
        return True
    from composer.services.junit import junit_xml

    data = junit_xml(report, properties=_properties(args, sender, environment))
    path: Path = args.junit
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        err("run", f"--junit {path}: cannot be written ({exc.strerror or exc})")
        return False
    return True


def _to_json(
    report: RunReport, args: argparse.Namespace, sender: Any, environment: Any
) -> dict[str, Any]:
    return {
        "collection": report.collection,
        "path": str(args.path),
        **_properties(args, sender, environment),
        "ok": report.ok,
        "passed": report.passed,
        "failed": report.failed,
        "not_run": [{"request": key, "row": row} for key, row in report.not_run],
        "bailed": report.bailed,
        "cancelled": report.cancelled,
        "duration_ms": round(report.duration_ms, 1),
        "results": [r.to_json() for r in report.results],
    }
