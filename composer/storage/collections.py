"""Collections as plain files: list a collection folder, read and save its requests exactly as
written, and the operations the collections panel calls (create, rename, duplicate, delete,
move and reorder, folders), several collections open at once.

Items are named by **keys**: a request by its folder path and name (``"invalid/long-name"``,
``"placed-order"`` at the top), a folder by its path and a ``/`` (``"invalid/"``); the top
folder is ``""``. The file rules (suffixes, names, order) are in
composer.domain.collection_rules; docs/collections.md describes the format.

Nothing here rewrites a file the user wrote unless asked to save it: reading gives the exact
bytes, saving unchanged text writes nothing, and a save keeps a byte-order mark the file had.
Every write goes through a temporary file and a rename, so a crash leaves the old file or the
new one, never half of one. A file that cannot be used (a link leading out of the folder, a
name no system can share, an unreadable folder, a broken order file) is listed as a
:class:`FileProblem` naming it, and is never changed or deleted.

Blocking file I/O: the window calls these through a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from composer.domain.collection_rules import (
    ENVIRONMENTS_FOLDER,
    EVENT_SUFFIX,
    EXPECT_SUFFIX,
    FOLDER_MARK,
    MAX_REQUEST_BYTES,
    MAX_SMALL_FILE_BYTES,
    ORDER_FILE,
    copy_name,
    expectation_name,
    format_json,
    name_problem,
    order_key,
    ordered,
    parse_order,
    request_name,
)

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 16
"""Folders nested deeper than this are not listed (a problem names the first one)."""


class CollectionError(Exception):
    """A collection's file or folder cannot be read or written, or an operation is not
    possible; the message names the file (relative to the collection) and what would be right."""


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file or folder of the collection that is not used, and why (it is left as it is)."""

    path: str
    """Relative to the collection folder, with ``/``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class RequestItem:
    """One request of a collection: ``NAME.event.json`` and perhaps ``NAME.expect.json``."""

    name: str
    folder: str
    """The key of its folder without the trailing ``/`` (``""`` at the top)."""
    has_expectation: bool = False

    @property
    def key(self) -> str:
        """``folder/name``: what every operation takes."""
        return f"{self.folder}/{self.name}" if self.folder else self.name

    @property
    def event_file(self) -> str:
        """Its body's path relative to the collection."""
        return self.key + EVENT_SUFFIX

    @property
    def expect_file(self) -> str:
        """Its expectations' path relative to the collection (which may not exist)."""
        return self.key + EXPECT_SUFFIX


@dataclass(frozen=True, slots=True)
class FolderItem:
    """A folder of a collection and its items in display and run order."""

    name: str
    """Its own name (the collection folder's name for the top)."""
    path: str
    """Relative to the collection, without a trailing ``/`` (``""`` for the top)."""
    children: tuple[RequestItem | FolderItem, ...] = ()

    @property
    def key(self) -> str:
        """``path/`` (``""`` for the top)."""
        return self.path + FOLDER_MARK if self.path else ""

    def requests(self) -> Iterator[RequestItem]:
        """Every request in it and its subfolders, in run order (depth first)."""
        for child in self.children:
            if isinstance(child, FolderItem):
                yield from child.requests()
            else:
                yield child

    def find(self, key: str) -> RequestItem | FolderItem | None:
        """The item with this key anywhere below (or this folder for its own key)."""
        if key == self.key:
            return self
        for child in self.children:
            if child.key == key:
                return child
            if isinstance(child, FolderItem) and key.startswith(child.key):
                return child.find(key)
        return None


@dataclass(frozen=True, slots=True)
class CollectionTree:
    """A collection as listed: its items, and the files it does not use (with why)."""

    root: FolderItem
    problems: tuple[FileProblem, ...] = ()
    environments: tuple[str, ...] = ()
    """Names of ``environments/NAME.json`` files, sorted."""


@dataclass(frozen=True, slots=True)
class RequestFile:
    """A request's body as it is on disk."""

    key: str
    raw: bytes
    """The exact bytes of the file."""
    text: str = field(repr=False, default="")
    """The bytes as text (UTF-8; a byte-order mark is not part of it, and kept on save)."""


class Collection:
    """One collection folder. Cheap to make; every call reads the disk afresh, so edits made
    in an editor or by ``git pull`` are seen on the next listing."""

    def __init__(self, root: Path | str) -> None:
        path = Path(root).expanduser()
        self.root = path.absolute()
        self._real_root = self.root.resolve()

    @property
    def name(self) -> str:
        """The folder's name, which titles the collection."""
        return self.root.name or str(self.root)

    def check(self) -> None:
        """Raise CollectionError unless the root is a folder that can be listed."""
        try:
            st = self.root.stat()
        except FileNotFoundError:
            raise CollectionError(f"{self.root}: no such folder") from None
        except OSError as exc:
            raise CollectionError(f"{self.root}: cannot be read ({exc.strerror or exc})") from None
        if not stat.S_ISDIR(st.st_mode):
            raise CollectionError(
                f"{self.root}: is a file, not a collection folder (give the folder that "
                f"holds the *{EVENT_SUFFIX} files)"
            )
        try:
            os.listdir(self.root)
        except OSError as exc:
            raise CollectionError(f"{self.root}: cannot be read ({exc.strerror or exc})") from None

    # -- listing ------------------------------------------------------------------------------

    def tree(self) -> CollectionTree:
        """Every request and folder in display and run order, and the problems found.

        Raises CollectionError only when the collection folder itself cannot be listed.
        """
        self.check()
        problems: list[FileProblem] = []
        visited = {self._real_root}
        root = self._list_folder(self.root, "", 0, problems, visited)
        return CollectionTree(
            FolderItem(self.name, "", root), tuple(problems), tuple(self._environment_names())
        )

    def requests(self, folder: str = "") -> list[RequestItem]:
        """The requests in ``folder`` (a folder key, ``""`` for all) and below, in run order.

        Raises CollectionError when there is no such folder.
        """
        tree = self.tree()
        item = tree.root.find(_folder_key(folder))
        if not isinstance(item, FolderItem):
            raise CollectionError(f"{folder}: no such folder in {self.name}")
        return list(item.requests())

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
                if not _inside(target, self._real_root):
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
            text = _read_bytes(path, where, MAX_SMALL_FILE_BYTES).decode("utf-8-sig")
            return parse_order(text)
        except CollectionError as exc:
            problems.append(FileProblem(where, _without_prefix(str(exc), where)))
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

    def environment_path(self, name: str) -> Path:
        """Where the environment ``name`` is kept: ``environments/NAME.json``."""
        bad = name_problem(name)
        if bad:
            raise CollectionError(f"environment {name!r}: {bad.replace('request', 'environment')}")
        return self._inside_path(f"{ENVIRONMENTS_FOLDER}/{name}.json")

    # -- requests -----------------------------------------------------------------------------

    def read_request(self, key: str) -> RequestFile:
        """The request's body exactly as on disk. Raises CollectionError naming the file."""
        where = self._request_key(key) + EVENT_SUFFIX
        raw = _read_bytes(self._inside_path(where), where, MAX_REQUEST_BYTES)
        try:
            text = raw.removeprefix(BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CollectionError(
                f"{where}: byte {exc.start} is not UTF-8; save the file as UTF-8 JSON"
            ) from None
        return RequestFile(key, raw, text)

    def save_request(self, key: str, text: str) -> bool:
        """Write the request's body as ``text`` exactly (a byte-order mark the file had is
        kept). Writes nothing when the file already holds it; True when it wrote."""
        where = self._request_key(key) + EVENT_SUFFIX
        return self._save(where, text)

    def read_expectation(self, key: str) -> str | None:
        """The text of the request's ``NAME.expect.json``, None when it has none."""
        where = self._request_key(key) + EXPECT_SUFFIX
        path = self._inside_path(where)
        if not path.exists() and not path.is_symlink():
            return None
        raw = _read_bytes(path, where, MAX_SMALL_FILE_BYTES)
        try:
            return raw.removeprefix(BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CollectionError(f"{where}: byte {exc.start} is not UTF-8") from None

    def save_expectation(self, key: str, text: str | None) -> bool:
        """Write the request's expectations (``None`` removes the file). True when it wrote."""
        where = self._request_key(key) + EXPECT_SUFFIX
        if text is None:
            path = self._inside_path(where)
            if not path.exists():
                return False
            _unlink(path, where)
            return True
        return self._save(where, text)

    def create_request(
        self, folder: str, name: str, text: str, *, expectation: str | None = None
    ) -> RequestItem:
        """A new request ``name`` in ``folder`` (Save to collection). Its body is ``text``
        exactly; it goes last in the folder's order file when the folder has one. Refuses a
        name that is taken (by a request or by a leftover expectation file)."""
        folder = _folder_path(folder)
        self._check_name(name, folder)
        self._check_folder(folder)
        key = f"{folder}/{name}" if folder else name
        self._check_free(key)
        self._write_new(key + EVENT_SUFFIX, _encode(text))
        if expectation is not None:
            self._write_new(key + EXPECT_SUFFIX, _encode(expectation))
        self._order_insert(folder, order_key(name, folder=False), None)
        return RequestItem(name, folder, expectation is not None)

    def duplicate(self, key: str, new_name: str | None = None) -> RequestItem:
        """A copy of the request (and its expectations), byte for byte, named ``new_name`` or
        ``NAME copy`` (``NAME copy 2``, ...), placed right after it in an order file."""
        key = self._request_key(key)
        folder, name = _split(key)
        if new_name is None:
            taken = {i.name for i in self._siblings(folder) if isinstance(i, RequestItem)}
            new_name = copy_name(name, taken)
        self._check_name(new_name, folder)
        new_key = f"{folder}/{new_name}" if folder else new_name
        self._check_free(new_key)
        body = self.read_request(key).raw
        expectation = self._maybe_read_raw(key + EXPECT_SUFFIX)
        self._write_new(new_key + EVENT_SUFFIX, body)
        if expectation is not None:
            self._write_new(new_key + EXPECT_SUFFIX, expectation)
        self._order_insert(folder, order_key(new_name, folder=False), order_key(name, folder=False))
        return RequestItem(new_name, folder, expectation is not None)

    def rename(self, key: str, new_name: str) -> RequestItem | FolderItem:
        """Rename a request (its body and expectations) or a folder (key ending in ``/``); its
        place in the order file stays."""
        if key.endswith(FOLDER_MARK):
            path = _folder_path(key)
            if not path:
                raise CollectionError("the collection folder itself is renamed outside the app")
            parent, old = _split(path)
            self._check_name(new_name, parent, folder=True)
            target = f"{parent}/{new_name}" if parent else new_name
            self._check_folder(path)
            if old != new_name:
                self._check_absent(target, new_name.casefold() == old.casefold())
                _rename(self._inside_path(path), self._inside_path(target), path)
                self._order_rename(parent, old + FOLDER_MARK, new_name + FOLDER_MARK)
            return FolderItem(new_name, target)
        key = self._request_key(key)
        folder, old = _split(key)
        self._check_name(new_name, folder)
        new_key = f"{folder}/{new_name}" if folder else new_name
        has_expect = self._exists(key + EXPECT_SUFFIX)
        self._require(key)
        if old == new_name:
            return RequestItem(new_name, folder, has_expect)
        if new_name.casefold() != old.casefold():
            self._check_free(new_key)
        _rename(
            self._inside_path(key + EVENT_SUFFIX),
            self._inside_path(new_key + EVENT_SUFFIX),
            key + EVENT_SUFFIX,
        )
        if has_expect:
            _rename(
                self._inside_path(key + EXPECT_SUFFIX),
                self._inside_path(new_key + EXPECT_SUFFIX),
                key + EXPECT_SUFFIX,
            )
        self._order_rename(folder, old, new_name)
        return RequestItem(new_name, folder, has_expect)

    def delete(self, key: str) -> None:
        """Delete a request (body and expectations), or a folder (key ending in ``/``) that
        holds nothing but requests, expectations, order files and such folders: a folder with
        any other file is refused, naming that file, so nothing else is lost."""
        if key.endswith(FOLDER_MARK):
            path = _folder_path(key)
            if not path:
                raise CollectionError("the collection folder itself cannot be deleted here")
            self._check_folder(path)
            real = self._inside_path(path)
            stray = _stray_file(real, path)
            if stray:
                raise CollectionError(
                    f"{path}/ holds {stray}, which is not part of a collection; move it "
                    "elsewhere first (nothing was deleted)"
                )
            shutil.rmtree(real)
            parent, name = _split(path)
            self._order_remove(parent, name + FOLDER_MARK)
            return
        key = self._request_key(key)
        self._require(key)
        folder, name = _split(key)
        if self._exists(key + EXPECT_SUFFIX):
            _unlink(self._inside_path(key + EXPECT_SUFFIX), key + EXPECT_SUFFIX)
        _unlink(self._inside_path(key + EVENT_SUFFIX), key + EVENT_SUFFIX)
        self._order_remove(folder, name)

    def create_folder(self, parent: str, name: str) -> FolderItem:
        """A new, empty subfolder ``name`` of ``parent``."""
        parent = _folder_path(parent)
        self._check_name(name, parent, folder=True)
        self._check_folder(parent)
        path = f"{parent}/{name}" if parent else name
        self._check_absent(path, False)
        try:
            self._inside_path(path).mkdir()
        except OSError as exc:
            raise CollectionError(f"{path}/: cannot be made ({exc.strerror or exc})") from None
        self._order_insert(parent, name + FOLDER_MARK, None)
        return FolderItem(name, path)

    def move(self, key: str, to_folder: str | None = None, before: str | None = None) -> str:
        """Move a request or a folder (drag and drop): into ``to_folder`` (a folder key; None
        keeps its folder) before the item keyed ``before`` (None: at the end). The order is
        kept in the folder's ``order.json``, written with every item of the folder. Returns the
        item's new key."""
        is_folder = key.endswith(FOLDER_MARK)
        if is_folder:
            source = _folder_path(key)
            if not source:
                raise CollectionError("the collection folder itself cannot be moved")
            self._check_folder(source)
        else:
            source = self._request_key(key)
            self._require(source)
        old_folder, name = _split(source)
        folder = old_folder if to_folder is None else _folder_path(to_folder)
        self._check_folder(folder)
        if is_folder and (folder == source or folder.startswith(source + "/")):
            raise CollectionError(f"{source}/ cannot be moved into itself")
        entry = order_key(name, folder=is_folder)
        before_entry = None
        if before is not None:
            b_folder, b_name = _split(_folder_path(before) if before.endswith("/") else before)
            if b_folder != folder:
                raise CollectionError(f"{before} is not in {folder or 'the top folder'}")
            before_entry = order_key(b_name, folder=before.endswith(FOLDER_MARK))
        new_key = f"{folder}/{name}" if folder else name
        if folder != old_folder:
            self._check_name(name, folder, folder=is_folder)
            if is_folder:
                self._check_absent(new_key, False)
                _rename(self._inside_path(source), self._inside_path(new_key), source + "/")
            else:
                self._check_free(new_key)
                for suffix in (EXPECT_SUFFIX, EVENT_SUFFIX):
                    if self._exists(source + suffix):
                        _rename(
                            self._inside_path(source + suffix),
                            self._inside_path(new_key + suffix),
                            source + suffix,
                        )
            self._order_remove(old_folder, entry)
        self._order_place(folder, entry, before_entry)
        return new_key + FOLDER_MARK if is_folder else new_key

    def reorder(self, folder: str, keys: list[str]) -> None:
        """Put the items of ``folder`` in the order of ``keys`` (their keys; items not named
        follow in their present order) and keep it in the folder's ``order.json``."""
        folder = _folder_path(folder)
        self._check_folder(folder)
        present = self._current_order(folder)
        wanted = []
        for key in keys:
            path = _folder_path(key) if key.endswith(FOLDER_MARK) else key
            parent, name = _split(path)
            entry = order_key(name, folder=key.endswith(FOLDER_MARK))
            if parent != folder or entry not in present:
                raise CollectionError(f"{key} is not an item of {folder or 'the top folder'}")
            if entry not in wanted:
                wanted.append(entry)
        self._write_order(folder, wanted + [e for e in present if e not in wanted])

    # -- helpers ------------------------------------------------------------------------------

    def _inside_path(self, rel: str) -> Path:
        """The path of ``rel``, refusing one that leads out of the collection (``..``, a link)."""
        parts = [p for p in rel.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise CollectionError(f"{rel}: a name cannot be . or ..")
        path = self.root.joinpath(*parts)
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            raise CollectionError(f"{rel}: a link that leads round in a loop") from None
        if not _inside(real, self._real_root):
            raise CollectionError(
                f"{rel}: leads to {real}, outside the collection; links out of it are not followed"
            )
        return path

    def _request_key(self, key: str) -> str:
        if not key or key.endswith(FOLDER_MARK):
            raise CollectionError(f"{key or '(empty)'}: not a request key (folder/name)")
        folder, name = _split(key)
        for part in folder.split("/") if folder else ():
            bad = name_problem(part, folder=True)
            if bad:
                raise CollectionError(f"{key}: {bad}")
        bad = name_problem(name)
        if bad:
            raise CollectionError(f"{key}: {bad}")
        return key

    def _check_name(self, name: str, parent: str, *, folder: bool = False) -> None:
        bad = name_problem(name, folder=folder, top_level=not parent)
        if bad:
            raise CollectionError(bad[0].upper() + bad[1:] + f" ({name!r})")

    def _check_folder(self, folder: str) -> None:
        path = self._inside_path(folder) if folder else self.root
        if not folder:
            self.check()
            return
        if not path.is_dir():
            raise CollectionError(f"{folder}/: no such folder in {self.name}")

    def _check_free(self, key: str) -> None:
        for suffix in (EVENT_SUFFIX, EXPECT_SUFFIX):
            if self._exists(key + suffix):
                raise CollectionError(
                    f"{key + suffix} already exists; choose another name (nothing was changed)"
                )

    def _check_absent(self, rel: str, same_but_case: bool) -> None:
        if not same_but_case and self._exists(rel):
            raise CollectionError(f"{rel} already exists; choose another name")

    def _exists(self, rel: str) -> bool:
        path = self.root.joinpath(*rel.split("/"))
        return path.exists() or path.is_symlink()

    def _require(self, key: str) -> None:
        if not self._exists(key + EVENT_SUFFIX):
            raise CollectionError(f"{key + EVENT_SUFFIX}: no such request (was it moved?)")
        self._inside_path(key + EVENT_SUFFIX)

    def _maybe_read_raw(self, rel: str) -> bytes | None:
        if not self._exists(rel):
            return None
        return _read_bytes(self._inside_path(rel), rel, MAX_SMALL_FILE_BYTES)

    def _siblings(self, folder: str) -> tuple[RequestItem | FolderItem, ...]:
        item = self.tree().root.find(_folder_key(folder))
        return item.children if isinstance(item, FolderItem) else ()

    def _save(self, rel: str, text: str) -> bool:
        path = self._inside_path(rel)
        data = _encode(text)
        try:
            old = path.read_bytes() if path.exists() else None
        except OSError:
            old = None
        if old is not None:
            if old.startswith(BOM) and not data.startswith(BOM):
                data = BOM + data
            if old == data:
                return False
        _atomic_write(path.resolve() if path.exists() else path, data, rel)
        return True

    def _write_new(self, rel: str, data: bytes) -> None:
        path = self._inside_path(rel)
        try:
            with open(path, "xb") as out:
                out.write(data)
        except FileExistsError:
            raise CollectionError(f"{rel} already exists; choose another name") from None
        except OSError as exc:
            raise CollectionError(f"{rel}: cannot be written ({exc.strerror or exc})") from None

    # The order file: written only by an operation that changes the order, and then with
    # every item of the folder, so the file always says the whole order.

    def _current_order(self, folder: str) -> list[str]:
        return [order_key(c.name, folder=isinstance(c, FolderItem)) for c in self._siblings(folder)]

    def _has_order_file(self, folder: str) -> bool:
        return self._exists(f"{folder}/{ORDER_FILE}" if folder else ORDER_FILE)

    def _order_insert(self, folder: str, entry: str, after: str | None) -> None:
        if not self._has_order_file(folder):
            return
        names = [e for e in self._current_order(folder) if e != entry]
        at = names.index(after) + 1 if after in names else len(names)
        names.insert(at, entry)
        self._write_order(folder, names)

    def _order_rename(self, folder: str, old: str, new: str) -> None:
        if not self._has_order_file(folder):
            return
        path = self._inside_path(f"{folder}/{ORDER_FILE}" if folder else ORDER_FILE)
        try:
            listed = parse_order(path.read_bytes().decode("utf-8-sig"))
        except (OSError, ValueError):
            return  # a broken order file is reported by the listing, never overwritten here
        if old in listed:
            self._write_order(folder, [new if e == old else e for e in listed])

    def _order_remove(self, folder: str, entry: str) -> None:
        if not self._has_order_file(folder):
            return
        self._write_order(folder, [e for e in self._current_order(folder) if e != entry])

    def _order_place(self, folder: str, entry: str, before: str | None) -> None:
        names = [e for e in self._current_order(folder) if e != entry]
        at = names.index(before) if before in names else len(names)
        names.insert(at, entry)
        self._write_order(folder, names)

    def _write_order(self, folder: str, names: list[str]) -> None:
        rel = f"{folder}/{ORDER_FILE}" if folder else ORDER_FILE
        self._save(rel, format_json(names))


class OpenCollections:
    """The collections open in one window, each once (by its real folder), in the order they
    were opened."""

    def __init__(self) -> None:
        self._open: list[Collection] = []

    def __iter__(self) -> Iterator[Collection]:
        return iter(list(self._open))

    def __len__(self) -> int:
        return len(self._open)

    def open(self, root: Path | str) -> Collection:
        """Open the folder ``root`` (the open one when it is open already). Raises
        CollectionError when it is not a folder that can be read."""
        collection = Collection(root)
        collection.check()
        for known in self._open:
            if known._real_root == collection._real_root:
                return known
        self._open.append(collection)
        return collection

    def close(self, collection: Collection) -> None:
        """Forget ``collection`` (its files stay as they are)."""
        self._open = [c for c in self._open if c is not collection]

    def owner_of(self, path: Path | str) -> tuple[Collection, str] | None:
        """The open collection holding the request file ``path`` and the request's key, so a
        file opened from disk saves back to its place."""
        real = Path(path).resolve()
        stem = request_name(real.name)
        if stem is None:
            return None
        for collection in self._open:
            if _inside(real, collection._real_root):
                rel = real.parent.relative_to(collection._real_root).as_posix()
                return collection, (stem if rel == "." else f"{rel}/{stem}")
        return None


def _folder_path(key: str) -> str:
    return key.strip("/")


def _folder_key(folder: str) -> str:
    path = _folder_path(folder)
    return path + FOLDER_MARK if path else ""


def _split(path: str) -> tuple[str, str]:
    folder, _, name = path.rpartition("/")
    return folder, name


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CollectionError(
            f"the text holds a lone surrogate at character {exc.start}, which UTF-8 cannot "
            "store; write it as a \\u escape"
        ) from None


def _read_bytes(path: Path, where: str, limit: int) -> bytes:
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise CollectionError(f"{where}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise CollectionError(f"{where}: is not a regular file (a device or a pipe)")
        if st.st_size > limit:
            raise CollectionError(
                f"{where}: {st.st_size:,} bytes is more than the {limit:,} such a file may "
                "have; it was not read"
            )
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise CollectionError(f"{where}: no such file (was it moved?)") from None
    except PermissionError:
        raise CollectionError(f"{where}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise CollectionError(f"{where}: more than {limit:,} bytes; it was not read")
    return data


def _atomic_write(path: Path, data: bytes, where: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CollectionError(f"{where}: cannot be written ({exc.strerror or exc})") from None


def _rename(source: Path, target: Path, where: str) -> None:
    try:
        os.rename(source, target)
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be renamed ({exc.strerror or exc})") from None


def _unlink(path: Path, where: str) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be deleted ({exc.strerror or exc})") from None


def _stray_file(folder: Path, rel: str) -> str | None:
    """The first file under ``folder`` that is not a collection file (or a link), else None."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                return f"{Path(dirpath, d).relative_to(folder).as_posix()} (a link)"
        for name in filenames:
            full = Path(dirpath, name)
            is_ours = (
                request_name(name) is not None
                or expectation_name(name) is not None
                or name == ORDER_FILE
            )
            if full.is_symlink() or not is_ours:
                return full.relative_to(folder).as_posix()
    return None


def _without_prefix(message: str, where: str) -> str:
    prefix = f"{where}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
