"""The rows of the property tree, kept in step with the text change by change.

A :class:`Row` stands for one member (or array item) the model has handed to a view, with the
value it had then. After a change, :meth:`Rows.follow` lines the rows of each container up
with the new value (:mod:`composer.editing.alignment`) and tells the view only what changed:
rows inserted, removed or moved, and ``dataChanged`` for the rows whose name, type or value
reads differently. Rows the view never asked for are made when it asks, so a collapsed array
of 20,000 items costs nothing until it is expanded.

An array item's row number is its index, so its name ("[3]") is not item data (see
:data:`LABEL_ROLE`): inserting an item moves the items after it without changing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex

from composer.editing.alignment import align_items, align_members
from composer.editing.values import type_of

Token = str | int
Path = tuple[Token, ...]
Members = tuple[list[str] | None, Sequence[Any]]
"""A container's member names (None for an array's items) and values, in text order: two
lists, not a pair per member (an array of 20,000 items is not copied to be compared)."""


class Row:
    """One member or item: its place (``parent``, ``row``, ``key``) and the value it showed."""

    __slots__ = (
        "ident",
        "key",
        "kids",
        "kind",
        "names",
        "parent",
        "row",
        "size",
        "spelling",
        "value",
    )

    def __init__(self, ident: int, parent: Row | None, key: str | None, row: int, value: Any):
        self.ident = ident
        self.parent = parent
        self.key = key
        self.row = row
        self.kids: list[Row] | None = None  # None: not handed out yet
        self.names: dict[str, int] | None = None  # member name -> row, made when asked
        self.spelling: str | None = None
        """A number as a view was shown it, written as in the text (None: not shown)."""
        self.take(value)

    def take(self, value: Any) -> None:
        """Show ``value`` from now on."""
        self.value = value
        self.kind = type_of(value)
        self.size = len(value) if isinstance(value, dict | list) else -1

    @property
    def token(self) -> Token:
        """The step of a path to this row: a member's name or an item's index."""
        return self.key if self.key is not None else self.row


class Rows:
    """The rows of one :class:`~composer.ui.editor.tree_model.JsonTreeModel`, and the signals
    that tell its views how they changed."""

    def __init__(
        self,
        model: QAbstractItemModel,
        hidden: frozenset[str],
        spelling: Callable[[Row], str | None],
    ) -> None:
        self._model = model
        self._spelling = spelling
        self._hidden = hidden
        self.by_id: dict[int, Row] = {}
        """Every row handed out, by its index's internal id (the one dict, kept for good)."""
        self._next = 1
        self.root = Row(0, None, None, 0, None)
        self.signals = 0
        """How many signals :meth:`follow` sent (0: the change showed nowhere here)."""

    # -- reading ---------------------------------------------------------------------------

    def start(self, value: Any) -> None:
        """Begin again with ``value`` at the root (inside the model's reset)."""
        self.by_id.clear()
        self.root = Row(0, None, None, 0, value)

    def matches(self, value: Any) -> bool:
        """True when ``value`` can be followed row by row from what is shown: the same type,
        and (when both have members) a member name in common."""
        root = self.root
        if type_of(value) != root.kind:
            return False
        if root.kind != "object":
            return True
        shown = root.kids if root.kids is not None else ()
        old = {k.key for k in shown} or set(self._members(root, root.value)[0] or ())
        new = set(self._members(root, value)[0] or ())
        return not old or not new or not old.isdisjoint(new)

    def get(self, ident: int) -> Row | None:
        """The row an index's internal id names (None for one removed since)."""
        return self.by_id.get(ident)

    def kids(self, row: Row) -> list[Row]:
        """The rows inside ``row`` (made when first asked for)."""
        if row.kids is None:
            row.kids = self._made(row, self._members(row, row.value), 0, None)
        return row.kids

    def find(self, path: Path) -> Row | None:
        """The row at ``path`` (the root for ``()``), or None."""
        row = self.root
        for token in path:
            kids = self.kids(row)
            if isinstance(token, int) and row.kind == "array":
                if not 0 <= token < len(kids):
                    return None
                row = kids[token]
            elif isinstance(token, str) and row.kind == "object":
                if row.names is None:
                    row.names = {k.key: k.row for k in kids if k.key is not None}
                at = row.names.get(token)
                if at is None:
                    return None
                row = kids[at]
            else:
                return None
        return row

    def path(self, row: Row) -> Path:
        """The path of ``row`` from the root."""
        steps: list[Token] = []
        while row.parent is not None:
            steps.append(row.token)
            row = row.parent
        return tuple(reversed(steps))

    def opened(self) -> Iterator[Row]:
        """Every row whose members have been handed out (only these can be expanded)."""
        stack = [k for k in self.root.kids or () if k.kids is not None]
        while stack:
            row = stack.pop()
            yield row
            stack.extend(k for k in row.kids or () if k.kids is not None)

    def index(self, row: Row, column: int = 0) -> QModelIndex:
        """The model index of ``row`` (invalid for the root)."""
        if row.parent is None:
            return QModelIndex()
        return self._model.createIndex(row.row, column, row.ident)

    # -- following a change ----------------------------------------------------------------

    def follow(self, value: Any) -> None:
        """Show ``value`` at the root, row by row (see the module's docstring)."""
        self.signals = 0
        if self._update(self.root, None, value):
            self.signals += 1  # the root has no row of its own to repaint

    def _members(self, row: Row, value: Any) -> Members:
        if isinstance(value, dict):
            if row is self.root and self._hidden:
                keys = [k for k in value if k not in self._hidden]
                return keys, [value[k] for k in keys]
            return list(value), list(value.values())
        if isinstance(value, list):
            return None, value
        return None, []

    def _made(self, parent: Row, members: Members, first: int, end: int | None) -> list[Row]:
        """Rows for ``members[first:end]`` (numbered as the members: an insertion renumbers)."""
        keys, values = members
        end = len(values) if end is None else end
        made = []
        ident = self._next
        for n in range(first, end):
            item = Row(ident, parent, None if keys is None else keys[n], n, values[n])
            self.by_id[ident] = item
            made.append(item)
            ident += 1
        self._next = ident
        return made

    def _update(self, row: Row, key: str | None, value: Any) -> bool:
        """Show ``value`` (and the name ``key``) at ``row``; True when the row itself reads
        differently now (its members changed with their own signals)."""
        changed = key != row.key
        if changed:
            row.key = key
            if row.parent is not None:
                row.parent.names = None
        if value is row.value:  # the same object: only what is inside may have changed
            if row.kids is not None:
                self._follow_kids(row, value)
            if row.size >= 0 and row.size != len(value):
                row.size = len(value)
                changed = True
            return changed
        kind = type_of(value)
        if kind != row.kind:  # another type: other members, if any
            opened = row.kids is not None
            if row.kids:
                self._remove(row, 0, len(row.kids))
            row.take(value)
            row.kids, row.names = None, None
            if opened:
                row.kids = []
                members = self._members(row, value)
                if members[1]:
                    self._insert(row, 0, members, 0, len(members[1]))
            return True
        old = row.value
        if row.kids is not None:
            self._follow_kids(row, value)
        old_size = row.size
        row.take(value)
        if row.size >= 0:
            return changed or old_size != row.size
        # a number shows as written (10.50): a new object may be spelled anew
        if changed or type(old) is not type(value) or old != value:
            row.spelling = None
            return True
        if row.spelling is None:  # the same value, never shown: nothing to show anew
            return False
        # the same number, read anew: shown as written, it may be spelled differently now
        # (10.5 typed as 10.50); only rows a view has shown are compared
        spelled, row.spelling = row.spelling, None
        return self._spelling(row) != spelled

    def _follow_kids(self, parent: Row, value: Any) -> None:
        kids = parent.kids
        assert kids is not None
        keys, values = members = self._members(parent, value)
        if keys is not None:
            steps = align_members([k.key or "" for k in kids], keys)
        else:
            steps = align_items([k.value for k in kids], values)
        kept: list[tuple[int, int, int]] = []  # (row, member, count): pairs, in place
        shift = 0  # rows inserted minus rows removed so far
        for tag, i1, i2, j1, j2 in steps:
            at = i1 + shift  # steps come in order: what a later one changes stands after
            if tag in ("equal", "replace"):
                both = min(i2 - i1, j2 - j1)
                kept.append((at, j1, both))
                if i2 - i1 > both:
                    self._remove(parent, at + both, i2 - i1 - both)
                elif j2 - j1 > both:
                    self._insert(parent, at + both, members, j1 + both, j2)
                shift += (j2 - j1) - (i2 - i1)
            elif tag == "delete":
                self._remove(parent, at, i2 - i1)
                shift -= i2 - i1
            elif tag == "insert":
                self._insert(parent, at, members, j1, j2)
                shift += j2 - j1
            else:  # move_down / move_up: one row goes to the other end of the range
                last = i2 - 1 + shift
                if tag == "move_down":
                    self._move(parent, at, last + 1)
                else:
                    self._move(parent, last, at)
                kept.append((at, j1, i2 - i1))
        changed = []
        for at, j, count in kept:
            for n in range(count):
                row, new = kids[at + n], values[j + n]
                key = None if keys is None else keys[j + n]
                untouched = new is row.value and key == row.key and row.kids is None
                if untouched and (row.size < 0 or row.size == len(new)):
                    continue  # the common case
                if self._update(row, key, new):
                    changed.append(row.row)
        self._repaint(parent, changed)

    def _repaint(self, parent: Row, rows: list[int]) -> None:
        """``dataChanged`` for ``rows`` of ``parent``, one signal per run of adjacent rows."""
        rows.sort()
        start = 0
        for n in range(1, len(rows) + 1):
            if n == len(rows) or rows[n] != rows[n - 1] + 1:
                kids = parent.kids
                assert kids is not None
                top, bottom = kids[rows[start]], kids[rows[n - 1]]
                self._model.dataChanged.emit(self.index(top, 0), self.index(bottom, 2))
                self.signals += 1
                start = n

    def _remove(self, parent: Row, first: int, count: int) -> None:
        kids = parent.kids
        assert kids is not None
        self._model.beginRemoveRows(self.index(parent), first, first + count - 1)
        gone = kids[first : first + count]
        del kids[first : first + count]
        _renumber(kids, first)
        parent.names = None
        stack = gone
        while stack:
            row = stack.pop()
            self.by_id.pop(row.ident, None)
            stack.extend(row.kids or ())
        self._model.endRemoveRows()
        self.signals += 1

    def _insert(self, parent: Row, at: int, members: Members, first: int, end: int) -> None:
        """Rows for ``members[first:end]`` inserted at row ``at``."""
        kids = parent.kids
        assert kids is not None
        self._model.beginInsertRows(self.index(parent), at, at + end - first - 1)
        made = self._made(parent, members, first, end)
        kids[at:at] = made
        _renumber(kids, at)
        parent.names = None
        self._model.endInsertRows()
        self.signals += 1

    def _move(self, parent: Row, source: int, before: int) -> None:
        """Move the row at ``source`` to stand before the row that is at ``before`` now."""
        kids = parent.kids
        assert kids is not None
        index = self.index(parent)
        if not self._model.beginMoveRows(index, source, source, index, before):
            return
        row = kids.pop(source)
        kids.insert(before - 1 if before > source else before, row)
        _renumber(kids, min(source, before))
        parent.names = None
        self._model.endMoveRows()
        self.signals += 1


def _renumber(kids: list[Row], first: int) -> None:
    for n in range(first, len(kids)):
        kids[n].row = n
