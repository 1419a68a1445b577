"""Listing a collection folder: its requests and folders in order, and every file it does not
use with the reason (links leading out, names no system can share, broken order files...).
See composer.storage.collections."""

from __future__ import annotations

import os
from pathlib import Path

from composer.domain.collection_rules import (
    ENVIRONMENTS_FOLDER,
    EVENT_SUFFIX,
    EXPECT_SUFFIX,
    MAX_SMALL_FILE_BYTES,
    ORDER_FILE,
    expectation_name,
    name_problem,
    ordered,
    parse_order,
    request_name,
)
from composer.storage.collection_files import inside, read_bytes, without_prefix
from composer.storage.collection_items import (
    CollectionError,
    CollectionTree,
    FileProblem,
    FolderItem,
    RequestItem,
)

MAX_DEPTH = 16
"""Folders nested deeper than this are not listed (a problem names the first one)."""


def list_collection(root: Path, name: str, folder: str = "") -> CollectionTree:
    """The tree of the collection folder ``root`` (which must be a readable folder); with
    ``folder`` (a path below it, checked by the caller) only that folder is listed, under its
    parents."""
    listing = _Listing(root)
    problems: list[FileProblem] = []
    parts = [p for p in folder.split("/") if p]
    start = root.joinpath(*parts)
    children = listing._list_folder(
        start, "/".join(parts), len(parts), problems, {listing.real_root, start.resolve()}
    )
    for depth in range(len(parts), 0, -1):
        children = (FolderItem(parts[depth - 1], "/".join(parts[:depth]), children),)
    return CollectionTree(
        FolderItem(name, "", children), tuple(problems), tuple(listing._environment_names())
    )


class _Listing:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = root.resolve()

    def _list_folder(
        self,
        path: Path,
        rel: str,
        depth: int,
        problems: list[FileProblem],
        visited: set[Path],
    ) -> tuple[RequestItem | FolderItem, ...]:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            problems.append(FileProblem(rel or ".", f"cannot be read ({exc.strerror or exc})"))
            return ()
        names = {e.name for e in entries}
        requests: dict[str, RequestItem] = {}
        folders: dict[str, FolderItem] = {}
        order: list[str] | None = None
        for entry in entries:
            name = entry.name
            where = f"{rel}/{name}" if rel else name
            if name.startswith("."):
                continue  # hidden: .git, editors' and our own temporary files
            if not rel and name == ENVIRONMENTS_FOLDER:
                continue
            kind, problem = self._entry_kind(entry)
            if problem:
                problems.append(FileProblem(where, problem))
                continue
            if kind == "other":
                if name.endswith(".json"):
                    problems.append(
                        FileProblem(where, "not a regular file (a device or a pipe); not read")
                    )
                continue
            if kind == "dir":
                bad = name_problem(name, folder=True)
                if bad:
                    problems.append(FileProblem(where, f"not listed: {bad}"))
                    continue
                real = Path(entry.path).resolve()
                if real in visited:
                    problems.append(FileProblem(where, "a link back to a folder already listed"))
                    continue
                if depth + 1 >= MAX_DEPTH:
                    problems.append(
                        FileProblem(where, f"folders nest deeper than {MAX_DEPTH}; not listed")
                    )
                    continue
                children = self._list_folder(
                    Path(entry.path), where, depth + 1, problems, visited | {real}
                )
                folders[name] = FolderItem(name, where, children)
                continue
            if name == ORDER_FILE:
                order = self._read_order(Path(entry.path), where, problems)
                continue
            stem = request_name(name)
            if stem is not None:
                bad = name_problem(stem)
                if bad:
                    problems.append(FileProblem(where, f"not listed: {bad}"))
                    continue
                requests[stem] = RequestItem(stem, rel, stem + EXPECT_SUFFIX in names)
                continue
            stem = expectation_name(name)
            if stem is not None and stem + EVENT_SUFFIX not in names:
                problems.append(
                    FileProblem(
                        where,
                        f"expectations for a request that is not there ({stem}{EVENT_SUFFIX} "
                        "is missing)",
                    )
                )
        items = [(n, False) for n in requests] + [(n, True) for n in folders]
        return tuple(
            folders[n] if is_folder else requests[n] for n, is_folder in ordered(items, order)
        )

    def _entry_kind(self, entry: os.DirEntry[str]) -> tuple[str, str | None]:
        """("dir" | "file" | "other", a problem or None) for one folder entry."""
        try:
            if entry.is_symlink():
                target = Path(entry.path).resolve()
                if not inside(target, self.real_root):
                    return "other", f"a link to {target}, outside the collection; not followed"
                if not target.exists():
                    return "other", "a link to nothing (its target is missing)"
            if entry.is_dir():
                return "dir", None
            if entry.is_file():
                return "file", None
        except OSError as exc:
            return "other", f"cannot be read ({exc.strerror or exc})"
        except RuntimeError:  # a symlink loop
            return "other", "a link that leads round in a loop"
        return "other", None

    def _read_order(self, path: Path, where: str, problems: list[FileProblem]) -> list[str] | None:
        try:
            text = read_bytes(path, where, MAX_SMALL_FILE_BYTES).decode("utf-8-sig")
            return parse_order(text)
        except CollectionError as exc:
            problems.append(FileProblem(where, without_prefix(str(exc), where)))
        except UnicodeDecodeError as exc:
            problems.append(FileProblem(where, f"byte {exc.start} is not UTF-8; name order used"))
        except ValueError as exc:
            problems.append(FileProblem(where, f"{exc}; name order is used instead"))
        return None

    def _environment_names(self) -> list[str]:
        folder = self.root / ENVIRONMENTS_FOLDER
        if not folder.is_dir():
            return []
        try:
            return sorted(
                p.name[: -len(".json")]
                for p in folder.iterdir()
                if p.name.endswith(".json") and not p.name.startswith(".")
            )
        except OSError:
            return []
