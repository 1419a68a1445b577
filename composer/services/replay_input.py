"""Reading a file of events for a replay: NDJSON, a JSON array, or one object; each event
with its position and line, and the file's content hash (computed while reading, chunk by
chunk), which ties a replay run to the exact bytes it replays."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from composer.domain.jsontext import value_end
from composer.services.replay_places import event_place

READ_CHUNK = 1 << 20
HASH_NAME = "sha256"
MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest single event the streamed reader takes (Klaviyo takes at most 5 MB in one
request): what it holds at once is bounded by it, even for a file without line breaks (a
device, a sparse file of zeros)."""


class ReplayInputError(ValueError):
    """The file cannot be read as events; the message names the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """One event of the file: its position, the line it starts on, and its exact bytes."""

    index: int
    line: int
    raw: bytes
    column: int | None = None
    """The column (1-based, in characters) the event starts at when another event of the file
    starts on the same line (a JSON array written on one line); None when its line alone
    finds it."""

    @property
    def place(self) -> str:
        """Where the event is in its file, in words (see :func:`event_place`)."""
        return event_place(self.index, self.line, self.column)


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

    def column_at(pos: int) -> int:
        return pos - text.rfind("\n", 0, pos)

    starts: list[int] = []
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
        starts.append(i)
        i = skip_ws(end)
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            if skip_ws(i + 1) != n:
                raise ReplayInputError(
                    f"line {line_at(i + 1)}, column {column_at(i + 1)}: text after the end of "
                    "the JSON array"
                )
            return _with_columns(items, starts, column_at)
        raise ReplayInputError(
            f"line {line_at(i)}, column {column_at(i)}: expected ',' or ']' after element "
            f"{len(items)} of the JSON array"
        )


def _with_columns(
    items: list[ReplayItem], starts: list[int], column_at: Callable[[int], int]
) -> list[ReplayItem]:
    """The events with their column where several start on one line."""
    per_line: dict[int, int] = {}
    for item in items:
        per_line[item.line] = per_line.get(item.line, 0) + 1
    return [
        ReplayItem(item.index, item.line, item.raw, column_at(start))
        if per_line[item.line] > 1
        else item
        for item, start in zip(items, starts, strict=True)
    ]


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


class EventStream:
    """The events of a file read lazily, one at a time, in constant memory (whatever the file's
    size): NDJSON line by line, a JSON array element by element. Iterate it once; afterwards
    ``count`` is the number of events and ``content_hash`` the ``sha256:<hex>`` of every byte
    read (the same hash :func:`content_hash_of` gives). Raises :class:`ReplayInputError` (with
    the line) where the file stops being readable; the events before it have been yielded.
    """

    def __init__(self, stream: BinaryIO, *, chunk: int = READ_CHUNK) -> None:
        self._stream = stream
        self._chunk = chunk
        self._digest = hashlib.new(HASH_NAME)
        self.count = 0
        self.content_hash: str | None = None

    def _read(self, size: int) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        return data

    def _readline(self, line: int, *, strict: bool = True) -> bytes:
        """The next line (``line`` is its number, for the message when it is too long); with
        ``strict=False`` its first MAX_EVENT_BYTES + 1 bytes when it is longer."""
        data = self._stream.readline(MAX_EVENT_BYTES + 1)
        self._digest.update(data)
        if strict and len(data) > MAX_EVENT_BYTES:
            raise ReplayInputError(
                f"line {line}: longer than {MAX_EVENT_BYTES // (1024 * 1024)} "
                "MB, too large to be one event (give one event per line)"
            )
        return data

    def __iter__(self) -> Iterator[ReplayItem]:
        first = b""
        line = 0
        # Find the first byte that is not blank, to tell an array from NDJSON. A JSON array
        # written on one line (as JSON.stringify writes it) may be longer than one event.
        while True:
            raw = self._readline(line + 1, strict=False)
            if not raw:
                break
            line += 1
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw.strip():
                first = raw
                break
        if not first:
            self._finish()
            raise ReplayInputError("the file is empty: give one event per line, or a JSON array")
        if first.lstrip().startswith(b"["):
            yield from self._array(first, line)
        elif len(first) > MAX_EVENT_BYTES:
            raise ReplayInputError(
                f"line {line}: longer than {MAX_EVENT_BYTES // (1024 * 1024)} "
                "MB, too large to be one event (give one event per line)"
            )
        else:
            yield from self._lines(first, line)
        self._finish()

    def _finish(self) -> None:
        while self._read(self._chunk):
            pass  # the hash covers the whole file, even bytes after an early end
        self.content_hash = f"{HASH_NAME}:{self._digest.hexdigest()}"

    def _decode(self, raw: bytes, line: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReplayInputError(
                f"line {line}: the file is not UTF-8 text (byte {exc.start} of the line cannot "
                "be decoded); save it as UTF-8"
            ) from None

    def _lines(self, first: bytes, line: int) -> Iterator[ReplayItem]:
        text = self._decode(first, line).strip()
        if text.startswith("{") and not _parses(text.encode("utf-8")):
            # Perhaps one pretty-printed object over several lines: read it whole (one event).
            rest = self._read_rest()
            whole = (text + "\n" + self._decode(rest, line + 1)).strip()
            if _parses(whole.encode("utf-8")) or not rest.strip():
                self.count = 1
                yield ReplayItem(0, line, whole.encode("utf-8"))
                return
            # Not one object either: NDJSON with a bad first line; go on line by line.
            yield from self._ndjson_from_text(text, line, rest)
            return
        self.count = 1
        yield ReplayItem(0, line, text.encode("utf-8"))
        while raw := self._readline(line + 1):
            line += 1
            yield from self._one_line(raw, line)

    def _ndjson_from_text(self, first: str, line: int, rest: bytes) -> Iterator[ReplayItem]:
        self.count = 1
        yield ReplayItem(0, line, first.encode("utf-8"))
        *whole, tail = rest.split(b"\n")
        for raw in whole:
            line += 1
            yield from self._one_line(raw, line)
        # the read-ahead may end inside a line: it goes on in the lines read from here on
        while raw := tail + self._readline(line + 1):
            tail = b""
            line += 1
            yield from self._one_line(raw, line)

    def _one_line(self, raw: bytes, line: int) -> Iterator[ReplayItem]:
        stripped = self._decode(raw, line).strip()
        if stripped:
            yield ReplayItem(self.count, line, stripped.encode("utf-8"))
            self.count += 1

    def _read_rest(self, limit: int = MAX_EVENT_BYTES) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size <= limit and (chunk := self._read(self._chunk)):
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    def _array(self, first: bytes, line: int) -> Iterator[ReplayItem]:
        """Elements of a JSON array, cut out with the grammar-only scanner; the buffer holds
        the current element and at most one chunk more. An element is handed on once the
        start of the next one is found: only then is it known whether another event starts
        on its line (then its column goes with it)."""
        text = self._decode(first, line)
        i = text.index("[") + 1
        line_at = line  # the line the character at ``i`` is on
        line_begin = 0  # where in ``text`` that line begins (negative once dropped)
        eof = False

        def more() -> bool:
            nonlocal text, eof
            if eof:
                return False
            chunk = self._read(self._chunk)
            if not chunk:
                eof = True
                return False
            while True:  # a chunk may end inside a multi-byte character
                try:
                    text += chunk.decode("utf-8")
                    return True
                except UnicodeDecodeError as exc:
                    if exc.start < len(chunk) - 3:
                        raise ReplayInputError(
                            f"line {line_at + text.count(chr(10), i)}: the file is not UTF-8 "
                            "text; save it as UTF-8"
                        ) from None
                    extra = self._read(1)
                    if not extra:
                        raise ReplayInputError(
                            "the file ends inside a character: it is not UTF-8 text"
                        ) from None
                    chunk += extra

        def skip_ws() -> None:
            nonlocal i, line_at, line_begin
            while True:
                while i < len(text) and text[i] in " \t\r\n":
                    if text[i] == "\n":
                        line_at += 1
                        line_begin = i + 1
                    i += 1
                if i < len(text) or not more():
                    return

        def drop_consumed() -> None:
            nonlocal text, i, line_begin
            if i > len(text) // 2:  # amortised: each byte is copied a bounded number of times
                text = text[i:]
                line_begin -= i
                i = 0

        # the element found but not yet handed on: line, column, bytes, and whether the one
        # before it starts on the same line
        pending: tuple[int, int, bytes, bool] | None = None

        def hand_on(next_line: int | None) -> Iterator[ReplayItem]:
            nonlocal pending
            if pending is None:
                return
            at, column, raw, shared = pending
            pending = None
            shared = shared or at == next_line
            yield ReplayItem(self.count, at, raw, column if shared else None)
            self.count += 1

        skip_ws()
        if i < len(text) and text[i] == "]":
            return
        previous_line = 0
        while True:
            skip_ws()
            drop_consumed()
            yield from hand_on(line_at if i < len(text) else None)
            while True:
                try:
                    end = value_end(text, i)
                    if end >= len(text) and not eof and more():
                        continue  # a number may go on in the next chunk
                    break
                except ValueError as exc:
                    if len(text) - i > MAX_EVENT_BYTES:
                        raise ReplayInputError(
                            f"line {line_at}, column {i - line_begin + 1}: element "
                            f"{self.count + 1} of the JSON array is longer than "
                            f"{MAX_EVENT_BYTES // (1024 * 1024)} MB, too large to be one event"
                        ) from None
                    if more():
                        continue
                    raise _array_error(
                        exc, text, i, (line_at, line_begin), self.count + 1
                    ) from None
            element = text[i:end]
            pending = (
                line_at,
                i - line_begin + 1,
                element.encode("utf-8"),
                line_at == previous_line,
            )
            previous_line = line_at
            newlines = element.count("\n")
            if newlines:
                line_at += newlines
                line_begin = i + element.rindex("\n") + 1
            i = end
            skip_ws()
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            yield from hand_on(None)
            if i < len(text) and text[i] == "]":
                i += 1
                skip_ws()
                if i < len(text):
                    raise ReplayInputError(
                        f"line {line_at}, column {i - line_begin + 1}: text after the end of "
                        "the JSON array"
                    )
                return
            raise ReplayInputError(
                f"line {line_at}, column {i - line_begin + 1}: expected ',' or ']' after "
                f"element {self.count} of the JSON array"
            )


def scan_events(
    stream: BinaryIO, on_item: Callable[[ReplayItem], None] | None = None
) -> tuple[int, str]:
    """Read a whole file of events once, keeping nothing: (number of events, content hash).
    ``on_item`` sees each event as it passes (it may raise to stop the scan). Raises
    :class:`ReplayInputError` when it cannot be read as events."""
    reader = EventStream(stream)
    for item in reader:
        if on_item is not None:
            on_item(item)
    assert reader.content_hash is not None
    return reader.count, reader.content_hash


@dataclass(frozen=True, slots=True)
class EventFile:
    """A file of events as it was counted (streamed, keeping nothing): its path, number of
    events and content hash. A replay records the run with these before its first send, then
    reads the file a second time, as a stream, to send it."""

    path: Path
    count: int
    content_hash: str

    @property
    def absolute(self) -> str:
        """The absolute path a run records."""
        return str(self.path.resolve())

    @classmethod
    def scan(
        cls, path: Path | str, on_item: Callable[[ReplayItem], None] | None = None
    ) -> EventFile:
        """Read the file once, keeping nothing (memory stays flat). Raises
        :class:`ReplayInputError` (with the line) or OSError."""
        with open(path, "rb") as fh:
            count, digest = scan_events(fh, on_item)
        return cls(Path(path), count, digest)


class ThreadedItems:
    """The events of a source whose reads may block for long (standard input, a pipe that is
    still being written), read on a daemon thread at most ``ahead`` events ahead of the
    consumer: the event loop never waits on the source, so sends and their answers go on while
    the next lines are still to come, and a stop never waits for a read that may never end.
    Iterate it once with ``async for``; errors of the source are raised there."""

    def __init__(self, items: Iterable[ReplayItem], ahead: int = 64) -> None:
        self._items = items
        self._slots = threading.Semaphore(ahead)
        self._closed = False

    def close(self) -> None:
        """Read no further (the thread ends at its next event)."""
        self._closed = True
        self._slots.release()

    async def __aiter__(self) -> AsyncIterator[ReplayItem]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def put(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        def work() -> None:
            try:
                for item in self._items:
                    self._slots.acquire()
                    if self._closed:
                        return
                    put("item", item)
                put("end", None)
            except BaseException as exc:  # handed over to the reader of the events
                put("error", exc)

        threading.Thread(target=work, name="replay-input", daemon=True).start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                self._slots.release()
                yield value
        finally:
            self.close()


def _array_error(
    exc: ValueError, text: str, start: int, place: tuple[int, int], element: int
) -> ReplayInputError:
    """What is wrong with element ``element`` of a JSON array, which starts at ``text[start]``,
    by the file's line and column: ``place`` is the line ``start`` is on and where in ``text``
    that line begins. The decoder counts lines and columns from the start of the element,
    which would point at another place of the file."""
    line, line_begin = place
    where = getattr(exc, "pos", None)
    message = getattr(exc, "msg", None) or str(exc)
    if not isinstance(where, int) or where >= len(text.rstrip()):
        return ReplayInputError(
            f"line {line}, column {start - line_begin + 1}: the file ends inside element "
            f"{element} of the JSON array, which starts there: the file is cut short, or a "
            "closing ], } or quote is missing"
        )
    newline = text.rfind("\n", start, where)
    column = where - newline if newline >= 0 else where - line_begin + 1
    return ReplayInputError(
        f"line {line + text.count(chr(10), start, where)}, column {column}: element {element} "
        f"of the JSON array is not valid JSON ({message})"
    )
