"""Reading a file of events for a replay: NDJSON, a JSON array, or one object; each event
with its position and line, and the file's content hash (computed while reading, chunk by
chunk), which ties a replay run to the exact bytes it replays."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import BinaryIO

from composer.domain.jsontext import value_end

READ_CHUNK = 1 << 20
HASH_NAME = "sha256"


class ReplayInputError(ValueError):
    """The file cannot be read as events; the message names the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """One event of the file: its position, the line it starts on, and its exact bytes."""

    index: int
    line: int
    raw: bytes


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_events(data: bytes) -> list[ReplayItem]:
    """Split a file into events: a JSON array, NDJSON (one event per non-blank line), or a
    single JSON object spread over several lines."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReplayInputError(
            f"line {line}: the file is not UTF-8 text (byte {exc.start} cannot be decoded); "
            "save it as UTF-8"
        ) from None
    stripped = text.lstrip()
    if not stripped:
        raise ReplayInputError("the file is empty: give one event per line, or a JSON array")
    start = len(text) - len(stripped)
    if stripped.startswith("["):
        return _read_array(text, start)
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    items = [ReplayItem(i, n, line.encode("utf-8")) for i, (n, line) in enumerate(lines)]
    if stripped.startswith("{") and len(items) > 1 and not _parses(items[0].raw):
        # Not NDJSON after all: one pretty-printed object.
        return [ReplayItem(0, _line_of(text, start), stripped.rstrip().encode("utf-8"))]
    return items


def _parses(raw: bytes) -> bool:
    text = raw.decode("utf-8")
    try:
        return value_end(text) == len(text)
    except ValueError:
        return False


def _read_array(text: str, start: int) -> list[ReplayItem]:
    items: list[ReplayItem] = []
    i = start + 1
    n = len(text)
    # Line numbers are counted forward from the previous element, never from the start of
    # the text again: a 100,000-element array must not cost 100,000 scans of the file.
    counted = [0, 1]  # offset up to which newlines are counted, line number at that offset

    def line_at(pos: int) -> int:
        offset, line = counted
        if pos < offset:
            return _line_of(text, pos)
        line += text.count("\n", offset, pos)
        counted[:] = [pos, line]
        return line

    def skip_ws(pos: int) -> int:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        return pos

    i = skip_ws(i)
    if i < n and text[i] == "]":
        return items
    while True:
        i = skip_ws(i)
        try:
            end = value_end(text, i)
        except json.JSONDecodeError as exc:
            raise ReplayInputError(
                f"line {exc.lineno}, column {exc.colno}: element {len(items) + 1} of the JSON "
                f"array is not valid JSON ({exc.msg})"
            ) from None
        items.append(ReplayItem(len(items), line_at(i), text[i:end].encode("utf-8")))
        i = skip_ws(end)
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            if skip_ws(i + 1) != n:
                raise ReplayInputError(
                    f"line {line_at(i + 1)}: text after the end of the JSON array"
                )
            return items
        raise ReplayInputError(
            f"line {line_at(i)}: expected ',' or ']' after element {len(items)} of the JSON array"
        )


def content_hash_of(stream: BinaryIO, limit: int | None = None) -> tuple[bytes, str]:
    """Read ``stream`` to its end in chunks: its bytes and their ``sha256:<hex>`` hash.
    With ``limit``, reading stops after ``limit + 1`` bytes (the caller sees it is too long)."""
    digest = hashlib.new(HASH_NAME)
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
        parts.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            break
    return b"".join(parts), f"{HASH_NAME}:{digest.hexdigest()}"
