"""Event files: templates from resources/examples, reading and writing .json files. Blocking
file I/O here is always called through a worker thread by the window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from composer.domain.collection_rules import EVENT_SUFFIX
from composer.resources import resource

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


def read_event_file(path: Path) -> str:
    """The text of an event file (any text is accepted: the composer shows what is wrong)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EventFileError(
                f"{path.name}: {size:,} bytes is larger than any event Klaviyo accepts "
                f"(the limit is 5 MB of properties); open a smaller file"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EventFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EventFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise EventFileError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise EventFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EventFileError(
            f"{path.name}: byte {exc.start} is not UTF-8; save the file as UTF-8 JSON"
        ) from None


def write_event_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8, ending with a newline) via a temporary file."""
    data = text if text.endswith("\n") else text + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(data, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise EventFileError(f"{path}: cannot be written ({exc.strerror or exc})") from None
