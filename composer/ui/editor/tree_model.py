"""A QAbstractItemModel over one JSON object of the composer's text (the event's properties,
the profile's custom properties): Name · Type · Value, nested objects and arrays.

The model reads the values from :class:`composer.editing.state.EditState` and changes them
only through the controller's operations, so every change is a minimal text edit with one
undo history. After each change the rows follow it row by row (:mod:`composer.ui.editor.
tree_rows`): the view is told which rows were inserted, removed, moved or changed, so what is
expanded, current and scrolled to stays. Markers for findings live in the decoration and
tool-tip roles, never in the name: what the Name cell edits is exactly the member's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QApplication

from composer.domain.findings import Severity, escape_token
from composer.editing.values import convert, converted_source, display, parse_cell, type_of
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.tree_rows import Row, Rows

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

Path = tuple[str | int, ...]
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Type", "Value")
_FIXED = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NAME = _FIXED | Qt.ItemFlag.ItemIsEditable
_NAME_LEAF = _NAME | Qt.ItemFlag.ItemNeverHasChildren
_FIXED_LEAF = _FIXED | Qt.ItemFlag.ItemNeverHasChildren
_NONE = Qt.ItemFlag.NoItemFlags
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 2
LABEL_ROLE = Qt.ItemDataRole.UserRole + 3
"""The Name cell of an array item: its index ("[3]"), which the delegate paints. It is the
row's place, not its data (as a table's row numbers), so an item inserted before it does
not change the items after it."""


class JsonTreeModel(QAbstractItemModel):
    """The members of the object at ``pointer`` (minus ``hidden`` top-level names, which
    other fields of the form show), as a tree."""

    problem = Signal(str)
    """An edit was refused; says why and what would be right."""
    refreshed = Signal()
    """The rows follow a change of the text (after its row signals, or after a reset)."""

    def __init__(
        self,
        controller: ComposerController,
        pointer: str,
        *,
        hidden: tuple[str, ...] = (),
        name: str = "properties",
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.pointer = pointer
        self.name = name
        self._rows = Rows(self, frozenset(hidden), self._spelling)
        self._by_id = self._rows.by_id  # the views ask for rows by id thousands of times
        self._source: str | None = None
        self._load = -1  # the load of a document the rows show (see ComposerController)
        self._flags: dict[Path, tuple[Severity, str]] = {}
        self.renamed: tuple[Path, Path] | None = None
        """The last rename made here (old path, new path): the view keeps the row current
        across a reset."""
        controller.draftChanged.connect(self.sync)
        self.sync()

    # -- reading ---------------------------------------------------------------------------

    def sync(self) -> None:
        """Follow the text: the rows that changed, row by row; a reset only for a document
        loaded anew that has no member in common with the one shown (cheap when the
        object's text did not change)."""
        state = self.controller.state
        if not state.is_read() and self._load >= 0:
            return  # a long text loaded since is read on a worker thread: followed then
        # (the first time the text is read at once: the Form shows it in its first paint)
        if not state.parses():
            return  # while the text does not parse the tree shows what it last read
        source = state.source_at(self.pointer)
        load = self.controller.loaded_generation()
        if source == self._source and load == self._load:
            return
        self._source = source
        _found, value = state.value_at(self.pointer)
        loaded, self._load = load != self._load, load
        if loaded and not self._rows.matches(value):  # another document: nothing to keep
            self.beginResetModel()
            self._rows.start(value)
            self.endResetModel()
            self.refreshed.emit()
            return
        self.renamed = None
        self._rows.follow(value)
        if self._rows.signals:
            self.refreshed.emit()

    def pointer_of(self, path: Path) -> str:
        """The JSON pointer of a path inside the object."""
        return self.pointer + "".join("/" + escape_token(str(p)) for p in path)

    def value_at(self, path: Path) -> tuple[bool, Any]:
        """(True, value) at ``path`` (the object itself for ``()``), (False, None) if absent."""
        # walked by the path's keys: the view asks for every cell of every row after a
        # change, and a pointer built and split again for each made a megabyte's edit slow
        found, node = self.controller.state.value_at(self.pointer)
        if not found:
            return False, None
        for key in path:
            in_object = isinstance(node, dict) and isinstance(key, str) and key in node
            in_array = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
            if not (in_object or in_array):
                return False, None
            node = node[key]
        return True, node

    def _row(self, index: Index) -> Row | None:
        if not index.isValid():
            return self._rows.root
        return self._by_id.get(index.internalId())

    def path_of(self, index: Index) -> Path:
        """The path of an index (``()`` for the invisible root)."""
        row = self._row(index)
        return () if row is None else self._rows.path(row)

    def child_keys(self, path: Path) -> list[str | int]:
        """Member names (or element indexes) under ``path``, in text order."""
        row = self._rows.find(path)
        return [] if row is None else [k.token for k in self._rows.kids(row)]

    def opened_paths(self) -> list[Path]:
        """The paths of the members whose rows a view has been given (the only ones that
        can be expanded)."""
        return [self._rows.path(row) for row in self._rows.opened()]

    def index_of(self, path: Path, column: int = 0) -> QModelIndex:
        """The index of a path (invalid when the path is not there)."""
        row = self._rows.find(path) if path else None
        return QModelIndex() if row is None else self._rows.index(row, column)

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """Qt: the index of a cell."""
        # asked for every row at each layout of the view: kept short
        if not parent.isValid():
            holder: Row | None = self._rows.root
        elif parent.column() == 0:  # only a row's first cell has members under it
            holder = self._by_id.get(parent.internalId())
        else:
            holder = None
        if holder is None or not 0 <= column < 3:
            return QModelIndex()
        kids = holder.kids if holder.kids is not None else self._rows.kids(holder)
        if not 0 <= row < len(kids):
            return QModelIndex()
        return self.createIndex(row, column, kids[row].ident)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        """Qt: the parent of an index."""
        row = self._row(index) if index.isValid() else None
        if row is None or row.parent is None:
            return QModelIndex()
        return self._rows.index(row.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Qt: how many members the item has."""
        if parent.isValid() and parent.column() != 0:
            return 0
        holder = self._row(parent)
        return 0 if holder is None else len(self._rows.kids(holder))

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        """Qt: whether the item has members (without making their rows: the view asks this
        of every row it shows)."""
        if not parent.isValid():
            return bool(self._rows.kids(self._rows.root))
        holder = self._by_id.get(parent.internalId())
        if holder is None or parent.column() != 0:
            return False
        return holder.size > 0 if holder.kids is None else bool(holder.kids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Qt: Name, Type, Value."""
        return len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Qt: the column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Qt: names of object members, every type, and scalar values are editable."""
        # asked of every row at each layout of the view: read from the row, not the text
        row = self._by_id.get(index.internalId()) if index.isValid() else None
        if row is None:  # the invisible root, or a row removed since the index was made
            return _NONE
        col = index.column()
        if col == 0:
            if row.size < 0:
                return _NAME_LEAF if row.key is not None else _FIXED_LEAF
            return _NAME if row.key is not None else _FIXED
        if col == 1:
            return _NAME
        return _NAME if row.size < 0 and row.kind != "null" else _FIXED

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt: what a cell shows and edits; a finding's marker and words on the name."""
        path = self.path_of(index)
        if not path:
            return None
        col = index.column()
        if role == PATH_ROLE:
            return self.pointer_of(path)
        if role in (LABEL_ROLE, Qt.ItemDataRole.AccessibleTextRole) and col == 0:
            return f"[{path[-1]}]" if isinstance(path[-1], int) else None
        flag = self._flags.get(path)
        if role == SEVERITY_ROLE:
            return flag[0].value if flag else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if flag is not None:
                word = "Error" if flag[0] is Severity.ERROR else "Warning"
                return f"{word}: {flag[1]}"
            if path == ("$extra",) and self.name == "properties":
                return (
                    "$extra: data Klaviyo stores with the event but does not offer for "
                    "segmentation; a good place for large or rarely used data"
                )
            return self._resolved_tip(path)
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and flag is not None:
            return _marker(flag[0])
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and flag is not None:
            return flag[1]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return None
        found, value = self.value_at(path)
        if col == 0:
            key = path[-1]
            return key if isinstance(key, str) else None
        if col == 1:
            return type_of(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            source = self.controller.state.source_at(self.pointer_of(path))
            if source is not None:
                row = self._row(index)
                if row is not None:
                    row.spelling = source  # a change of spelling alone repaints the row
                return source  # as written: 10.50 stays 10.50
        return display(value) if found else ""

    def _spelling(self, row: Row) -> str | None:
        return self.controller.state.source_at(self.pointer_of(self._rows.path(row)))

    def _resolved_tip(self, path: Path) -> str | None:
        """A value with variables: what the next send would make of it."""
        resolution = self.controller.resolution()
        if resolution is None:
            return None
        value = resolution.strings.get(self.pointer_of(path))
        return None if value is None else f"Resolved at each send, e.g. → {value}"

    # -- changing --------------------------------------------------------------------------

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Qt: rename a member, change a type, or set a value (one text edit each)."""
        path = self.path_of(index)
        if not path or role != Qt.ItemDataRole.EditRole:
            return False
        ptr = self.pointer_of(path)
        found, current = self.value_at(path)
        if not found:
            return False
        col = index.column()
        if col == 0:
            return self.rename(path, str(value))
        if col == 1:
            return self.convert_type(path, str(value))
        json_text, problem = parse_cell(str(value), type_of(current), QLocale().decimalPoint())
        if json_text is None:
            self.problem.emit(f"{self.describe(path)}: {problem}")
            return False
        self.problem.emit("")
        if isinstance(current, str) and str(value) == current:
            return True  # left as it was: "caf\u00e9" keeps its escape (Tab walks past cells)
        self.controller.edit("set_json", ptr, json_text)
        return True

    def describe(self, path: Path) -> str:
        """A path as a person reads it: ``Items[0].SKU``."""
        out = ""
        for p in path:
            out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
        return out or self.name

    def rename(self, path: Path, new: str) -> bool:
        """Rename a member; refuses an empty name and one that is taken (with the reason)."""
        old = path[-1]
        if not isinstance(old, str) or new == old:
            return new == old
        found, parent = self.value_at(path[:-1])
        if not new:
            self.problem.emit(f"{self.describe(path)}: a name cannot be empty")
            return False
        if found and isinstance(parent, dict) and new in parent:
            self.problem.emit(
                f'{self.describe(path[:-1])}: a member named "{new}" already exists here; '
                "choose another name"
            )
            return False
        self.problem.emit("")
        self.renamed = (path, (*path[:-1], new))
        return self.controller.edit("rename", self.pointer_of(path), new) is not None

    def convert_type(self, path: Path, new_type: str) -> bool:
        """Change a value's type, keeping what can be kept (the view asks first when
        something would be lost)."""
        found, value = self.value_at(path)
        if not found or type_of(value) == new_type:
            return found
        self.problem.emit("")
        ptr = self.pointer_of(path)
        kept = converted_source(value, self.controller.state.source_at(ptr), new_type)
        if kept is not None:  # as written: 10.50 becomes "10.50", not "10.5"
            return self.controller.edit("set_json", ptr, kept) is not None
        return self.controller.edit("set_value", ptr, convert(value, new_type)) is not None

    def set_flags(self, flags: dict[Path, tuple[Severity, str]]) -> None:
        """Mark the members findings name (a marker icon and the words as a tool tip)."""
        changed = set(self._flags) | set(flags)
        self._flags = dict(flags)
        for path in changed:
            index = self.index_of(path)
            if index.isValid():
                self.dataChanged.emit(index, index.siblingAtColumn(2))

    def copy_json(self, path: Path) -> str:
        """The JSON of a member as it is written in the text (a whole object for ``()``)."""
        return self.controller.state.source_at(self.pointer_of(path)) or "{}"

    def is_container(self, path: Path) -> bool:
        found, value = self.value_at(path)
        return found and isinstance(value, dict | list)


def _marker(severity: Severity) -> QIcon:
    # QStyle and QIcon are imported on the first marker: building their many enums slows the
    # first paint
    from PySide6.QtWidgets import QStyle

    style = QApplication.style()
    pixmap = (
        QStyle.StandardPixmap.SP_MessageBoxCritical
        if severity is Severity.ERROR
        else QStyle.StandardPixmap.SP_MessageBoxWarning
    )
    return style.standardIcon(pixmap)
