"""Text edits and the one undo history of the composer (the Form, the property tree and the
Raw JSON text all record here, so Ctrl+Z undoes the last change wherever it was made)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``text[start:end]`` with ``new``. Offsets are Python string indices."""

    start: int
    end: int
    new: str

    def apply(self, text: str) -> str:
        """The text after this edit."""
        return text[: self.start] + self.new + text[self.end :]

    def inverse(self, text: str) -> TextEdit:
        """The edit that undoes this one (``text`` is the text before this edit)."""
        return TextEdit(self.start, self.start + len(self.new), text[self.start : self.end])

    @property
    def delta(self) -> int:
        """How much longer the text gets."""
        return len(self.new) - (self.end - self.start)


@dataclass(frozen=True, slots=True)
class _Step:
    edit: TextEdit  # what was done
    undo: TextEdit  # what undoes it
    label: str
    group: str | None  # consecutive steps of one group that touch merge into one
    batch: int = 0  # steps of one batch (not 0) are undone and redone together


class History:
    """Undo and redo of text edits, newest last, up to ``limit`` steps.

    Consecutive edits of one ``group`` (typing in the text, typing in one form field) merge
    into one step when each changes only what the step before wrote or the place right after
    it: one Ctrl+Z takes back a typed word, not one letter.
    """

    def __init__(self, limit: int = 500) -> None:
        self._done: list[_Step] = []
        self._undone: list[_Step] = []
        self._limit = limit
        self._batch = 0
        self._batches = 0

    def begin_batch(self) -> None:
        """The edits recorded until :meth:`end_batch` are one step (e.g. pasting members)."""
        self._batches += 1
        self._batch = self._batches

    def end_batch(self) -> None:
        self._batch = 0

    def record(self, edit: TextEdit, before: str, label: str, group: str | None = None) -> None:
        """Remember ``edit``, made on ``before``; forgets what was undone."""
        self._undone.clear()
        last = self._done[-1] if self._done else None
        if group is not None and last is not None and last.group == group and not self._batch:
            merged = _merge(last, edit)
            if merged is not None:
                self._done[-1] = merged
                return
        self._done.append(_Step(edit, edit.inverse(before), label, group, self._batch))
        if len(self._done) > self._limit:
            del self._done[0]

    def can_undo(self) -> bool:
        return bool(self._done)

    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_label(self) -> str:
        return self._done[-1].label if self._done else ""

    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    def take_undo(self) -> list[TextEdit]:
        """The edits that undo the last step, in the order to make them (the step moves to
        the redo list); empty when there is nothing to undo."""
        return [step.undo for step in _take(self._done, self._undone)]

    def take_redo(self) -> list[TextEdit]:
        """The edits that redo the last undone step, in order."""
        return [step.edit for step in _take(self._undone, self._done)]

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()

    def break_group(self) -> None:
        """The next edit starts a new step whatever its group (the cursor moved away)."""
        if self._done and self._done[-1].group is not None:
            last = self._done[-1]
            self._done[-1] = _Step(last.edit, last.undo, last.label, None, last.batch)


def _take(source: list[_Step], target: list[_Step]) -> list[_Step]:
    """Move the last step (all of its batch) from ``source`` to ``target``."""
    if not source:
        return []
    taken = [source.pop()]
    while taken[0].batch and source and source[-1].batch == taken[0].batch:
        taken.append(source.pop())
    target.extend(taken)
    return taken


def _merge(last: _Step, edit: TextEdit) -> _Step | None:
    """One step for ``last`` followed by ``edit`` when ``edit`` changes only text that
    ``last`` wrote (or inserts right after it); None otherwise."""
    done = last.edit
    written_end = done.start + len(done.new)
    if not (done.start <= edit.start and edit.end <= written_end):
        return None
    if "\n" in edit.new and last.group == "typing":
        return None  # a new line starts a new step
    lo, hi = edit.start - done.start, edit.end - done.start
    new = done.new[:lo] + edit.new + done.new[hi:]
    return _Step(
        TextEdit(done.start, done.end, new),
        TextEdit(done.start, done.start + len(new), last.undo.new),
        last.label,
        last.group,
    )
