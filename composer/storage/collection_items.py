"""What a listed collection is made of: requests, folders, the problems found, and the error
every collection operation raises. See composer.storage.collections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from composer.domain.collection_rules import EVENT_SUFFIX, EXPECT_SUFFIX, FOLDER_MARK


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
