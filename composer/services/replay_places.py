"""Where an event of a replayed file is, in words that find it whatever the file's layout: its
line when no other event starts there, else its number, line and column (a JSON array written
on one line). Every message, summary and listing of a replay says it this way."""

from __future__ import annotations

from collections.abc import Sequence


def event_place(index: int, line: int, column: int | None = None) -> str:
    """Where an event is in its file, in words that find it whatever the file's layout:
    ``line 12`` when no other event starts on that line, else its number, line and column
    (``event 3 (line 1, column 245)``), as in a JSON array written on one line."""
    if column is None:
        return f"line {line}"
    return f"event {index + 1} (line {line}, column {column})"


def recorded_places(events: Sequence[tuple[int | None, int | None]]) -> list[str]:
    """Where each of ``events`` is in its file, in words, for events recorded with their
    position and line but not their column (a bulk job's events in the history): ``line 12``
    when the line finds it, else ``event 3 (line 1)``: when another of ``events`` starts on
    the same line, or when the line comes before the event's number (more events than lines
    up to it: a JSON array on one line)."""
    lines: dict[int, int] = {}
    for _index, line in events:
        if line is not None:
            lines[line] = lines.get(line, 0) + 1
    places = []
    for index, line in events:
        if line is None:
            places.append(f"event {(index or 0) + 1}")
        elif index is not None and (lines[line] > 1 or line <= index):
            places.append(f"event {index + 1} (line {line})")
        else:
            places.append(f"line {line}")
    return places


def file_place(name: str, index: int, line: int, column: int | None = None) -> str:
    """The place of an event as a terminal line starts it, the way compilers write it (an
    editor or terminal opens it there): ``events.json:12`` or ``events.json:1:245: event 3``."""
    if column is None:
        return f"{name}:{line}"
    return f"{name}:{line}:{column}: event {index + 1}"
