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

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from composer.domain.collection_rules import (
    COLLECTION_FILE,
    ENVIRONMENTS_FOLDER,
    EVENT_SUFFIX,
    EXPECT_SUFFIX,
    FOLDER_MARK,
    MAX_REQUEST_BYTES,
    MAX_SMALL_FILE_BYTES,
    ORDER_FILE,
    copy_name,
    format_json,
    name_problem,
    order_key,
    parse_collection_file,
    parse_order,
    request_name,
)
from composer.storage.collection_files import (
    BOM,
    atomic_write,
    encode_text,
    inside,
    read_bytes,
    rename_path,
    stray_file,
    unlink_path,
)
from composer.storage.collection_items import (
    CollectionError,
    CollectionTree,
    FileProblem,
    FolderItem,
    RequestFile,
    RequestItem,
)
from composer.storage.collection_listing import list_collection

__all__ = [
    "Collection",
    "CollectionError",
    "CollectionTree",
    "FileProblem",
    "FolderItem",
    "OpenCollections",
    "RequestFile",
    "RequestItem",
]


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

    def tree(self, folder: str = "") -> CollectionTree:
        """Every request and folder in display and run order, and the problems found; with
        ``folder`` (a folder key) only what is in that folder, under its parents.

        Raises CollectionError only when the collection folder (or ``folder``) itself cannot
        be listed.
        """
        self.check()
        path = _folder_path(folder)
        if path:
            self._check_folder(path)
        return list_collection(self.root, self.name, path)

    def requests(self, folder: str = "") -> list[RequestItem]:
        """The requests in ``folder`` (a folder key, ``""`` for all) and below, in run order.

        Raises CollectionError when there is no such folder.
        """
        tree = self.tree(folder)
        item = tree.root.find(_folder_key(folder))
        if not isinstance(item, FolderItem):
            raise CollectionError(f"{folder}: no such folder in {self.name}")
        return list(item.requests())

    def variables(self) -> dict[str, Any]:
        """The collection's own variables (``collection.json`` at the top; none without it).
        Raises CollectionError naming the file when it cannot be used."""
        path = self._inside_path(COLLECTION_FILE)
        if not path.exists():
            return {}
        raw = read_bytes(path, COLLECTION_FILE, MAX_SMALL_FILE_BYTES)
        try:
            return parse_collection_file(raw.removeprefix(BOM).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CollectionError(f"{COLLECTION_FILE}: byte {exc.start} is not UTF-8") from None
        except ValueError as exc:
            raise CollectionError(f"{COLLECTION_FILE}: {exc}") from None

    def environment_path(self, name: str) -> Path:
        """Where the environment ``name`` is kept: ``environments/NAME.json``."""
        bad = name_problem(name)
        if bad:
            raise CollectionError(f"environment {name!r}: {bad.replace('request', 'environment')}")
        return self._inside_path(f"{ENVIRONMENTS_FOLDER}/{name}.json")

    def path_of(self, rel: str) -> Path:
        """The path of ``rel`` (relative to the collection, with ``/``). Raises
        CollectionError for one that leads out of the collection (``..``, a link)."""
        return self._inside_path(rel)

    # -- requests -----------------------------------------------------------------------------

    def read_request(self, key: str) -> RequestFile:
        """The request's body exactly as on disk. Raises CollectionError naming the file."""
        where = self._request_key(key) + EVENT_SUFFIX
        raw = read_bytes(self._inside_path(where), where, MAX_REQUEST_BYTES)
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
        raw = read_bytes(path, where, MAX_SMALL_FILE_BYTES)
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
            unlink_path(path, where)
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
        self._write_new(key + EVENT_SUFFIX, encode_text(text))
        if expectation is not None:
            self._write_new(key + EXPECT_SUFFIX, encode_text(expectation))
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
                rename_path(self._inside_path(path), self._inside_path(target), path)
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
        rename_path(
            self._inside_path(key + EVENT_SUFFIX),
            self._inside_path(new_key + EVENT_SUFFIX),
            key + EVENT_SUFFIX,
        )
        if has_expect:
            rename_path(
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
            stray = stray_file(real, path)
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
            unlink_path(self._inside_path(key + EXPECT_SUFFIX), key + EXPECT_SUFFIX)
        unlink_path(self._inside_path(key + EVENT_SUFFIX), key + EVENT_SUFFIX)
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
                rename_path(self._inside_path(source), self._inside_path(new_key), source + "/")
            else:
                self._check_free(new_key)
                for suffix in (EXPECT_SUFFIX, EVENT_SUFFIX):
                    if self._exists(source + suffix):
                        rename_path(
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
        if not inside(real, self._real_root):
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
        return read_bytes(self._inside_path(rel), rel, MAX_SMALL_FILE_BYTES)

    def _siblings(self, folder: str) -> tuple[RequestItem | FolderItem, ...]:
        item = self.tree().root.find(_folder_key(folder))
        return item.children if isinstance(item, FolderItem) else ()

    def _save(self, rel: str, text: str) -> bool:
        path = self._inside_path(rel)
        data = encode_text(text)
        try:
            old = path.read_bytes() if path.exists() else None
        except OSError:
            old = None
        if old is not None:
            if old.startswith(BOM) and not data.startswith(BOM):
                data = BOM + data
            if old == data:
                return False
        atomic_write(path.resolve() if path.exists() else path, data, rel)
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
            if inside(real, collection._real_root):
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


def collection_root_of(folder: Path) -> Path:
    """The collection a folder belongs to: the nearest of it and the folders above it that
    has a ``collection.json`` or an ``environments`` folder, else the folder itself. The search
    stops at a git work tree's top and at the user's home folder."""
    start = folder.absolute()
    home = Path.home()
    for candidate in (start, *start.parents):
        if (candidate / COLLECTION_FILE).is_file() or (candidate / ENVIRONMENTS_FOLDER).is_dir():
            return candidate
        if candidate == home or (candidate / ".git").exists():
            break
    return start
