"""Event files: templates from resources/examples, reading and writing .json files. Blocking
file I/O here is always called through a worker thread by the window."""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from composer.domain.collection_rules import EVENT_SUFFIX
from composer.resources import resource
from composer.storage.collection_files import atomic_write
from composer.storage.collection_items import CollectionError

MAX_FILE_BYTES = 50_000_000


@dataclass(frozen=True, slots=True)
class Template:
    """One example event offered by File ▸ New from template."""

    title: str
    path: Path


def templates() -> list[Template]:
    """The example events shipped in resources/examples, titled from their file names.

    resources/examples is also an example collection (docs/collections.md): its top-level
    ``NAME.event.json`` files are the templates; its subfolders (deliberately bad payloads)
    and expectations are not offered."""
    folder = resource("examples")
    found = sorted(folder.glob("*" + EVENT_SUFFIX)) if folder.is_dir() else []
    return [Template(_title(p.name[: -len(EVENT_SUFFIX)]), p) for p in found]


def _title(name: str) -> str:
    return name.replace("-", " ").capitalize()


class EventFileError(Exception):
    """A file could not be read or written; the message says which and why."""


@dataclass(frozen=True, slots=True)
class EventText:
    """The text of an event file and the encoding it was written in ("UTF-8", "UTF-16" or
    "UTF-32"; Save writes UTF-8, the encoding JSON is sent in)."""

    text: str
    encoding: str


# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE): a file saved as
# "Unicode" by Notepad or written by PowerShell's ">" is UTF-16 with its mark.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def read_event_file(path: Path) -> str:
    """The text of an event file (any text is accepted: the composer shows what is wrong)."""
    return read_event(path).text


def read_event(path: Path) -> EventText:
    """The text of an event file and its encoding: UTF-8, or UTF-16/32 with a byte-order
    mark. Only a regular file is read (a device such as /dev/zero has no end, a named pipe
    may never be written to), and no more than :data:`MAX_FILE_BYTES`."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise EventFileError(
                f"{path}: is not a regular file (a device or a pipe); open a .json file"
            )
        if st.st_size > MAX_FILE_BYTES:
            raise _too_large(path, st.st_size)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise EventFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EventFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise EventFileError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise EventFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:  # it grew after the stat
        raise _too_large(path, len(raw))
    codec, name = "utf-8", "UTF-8"
    for bom, bom_codec, bom_name in _BOMS:
        if raw.startswith(bom):
            raw, codec, name = raw[len(bom) :], bom_codec, bom_name
            break
    try:
        return EventText(raw.decode(codec), name)
    except UnicodeDecodeError as exc:
        raise EventFileError(
            f"{path.name}: byte {exc.start} is not {name}; save the file as UTF-8 JSON"
        ) from None


def _too_large(path: Path, size: int) -> EventFileError:
    return EventFileError(
        f"{path.name}: {size:,} bytes is larger than any event Klaviyo accepts "
        f"(the limit is 5 MB of properties); open a smaller file"
    )


_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def write_event_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8, ending with a newline) via a temporary file and a
    rename, changing nothing else about the file: a link's target gets the text (the link
    stays), the file keeps its permissions, and a read-only file is refused, not replaced."""
    data = text if text.endswith("\n") else text + "\n"
    try:
        encoded = data.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EventFileError(
            f"{path.name}: character {exc.start} is a lone surrogate, which UTF-8 cannot store; "
            "write it as a \\u escape"
        ) from None
    target = Path(os.path.realpath(path))  # the file a link points to: the link stays a link
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise EventFileError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    if mode is not None and (not mode & _WRITE_BITS or not os.access(target, os.W_OK)):
        raise EventFileError(
            f"{path}: the file is read-only, so it was not changed; save the event under "
            "another name (File ▸ Save As…) or make the file writable"
        )
    try:
        atomic_write(target, encoded, str(path))
    except CollectionError as exc:
        raise EventFileError(str(exc)) from None
