"""What a single replay (:mod:`composer.services.replay`) and a bulk replay
(:mod:`composer.services.bulk`) share: the event's attributes, an invalid event in words, and
the observers of a run (progress, problems), which a fault turns off rather than letting a
display that failed (a terminal gone away) stop the sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from composer.domain.findings import ValidationReport, describe_pointer
from composer.services.replay_input import ReplayItem
from composer.services.send import first_error

log = logging.getLogger("composer.services.replay")

T = TypeVar("T")


def attributes_of(payload: object) -> dict[str, Any] | None:
    """``data.attributes`` of an event body, when it is an object."""
    data = payload.get("data") if isinstance(payload, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    return attributes if isinstance(attributes, dict) else None


def describe_invalid(item: ReplayItem, report: ValidationReport) -> str:
    """Why an event is invalid, where (its line and column in the file, or its field), and how
    many more errors it has: ``line 12, column 5: ... (and 2 more errors)``."""
    finding = first_error(report)
    if finding is None:
        return "invalid"
    where = f"{describe_pointer(finding.pointer)}: " if finding.pointer else ""
    if finding.line is not None:
        # the finding counts from the event's start; on its first line, that is the event's
        # column of the file
        column = finding.column
        if finding.line == 1 and item.column is not None and column is not None:
            column += item.column - 1
        where = f"line {item.line + finding.line - 1}, column {column}: "
    more = len(report.errors) - 1
    extra = f" (and {more} more error{'s' * (more != 1)})" if more > 0 else ""
    return f"{where}{finding.message}{extra}"


class Observer(Generic[T]):
    """A callback of a run (``what`` names it in the log). The first time it fails it is
    logged and turned off, and the run goes on: the events matter more than their display."""

    def __init__(self, callback: Callable[[T], None] | None, what: str) -> None:
        self.callback = callback
        self.what = what

    def __call__(self, value: T) -> None:
        callback = self.callback
        if callback is None:
            return
        try:
            callback(value)
        except Exception as exc:
            log.warning("replay: %s failed (%s); going on without it", self.what, exc)
            self.callback = None
