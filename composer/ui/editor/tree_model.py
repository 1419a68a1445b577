"""A QAbstractItemModel over one JSON object of the composer's text (the event's properties,
the profile's custom properties): Name · Type · Value, nested objects and arrays.

The model reads the values from :class:`composer.editing.state.EditState` and changes them
only through the controller's operations, so every change is a minimal text edit with one
undo history. Markers for findings live in the decoration and tool-tip roles, never in the
name: what the Name cell edits is exactly the member's name.
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

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

Path = tuple[str | int, ...]
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Type", "Value")
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 2


class JsonTreeModel(QAbstractItemModel):
    """The members of the object at ``pointer`` (minus ``hidden`` top-level names, which
    other fields of the form show), as a tree."""

    problem = Signal(str)
    """An edit was refused; says why and what would be right."""

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
        self._hidden = frozenset(hidden)
        self._paths: list[Path] = [()]
        self._ids: dict[Path, int] = {(): 0}
        self._children: dict[Path, tuple[list[str | int], dict[str | int, int]]] = {}
        self._generation = -1
        self._source: str | None = None
        self._flags: dict[Path, tuple[Severity, str]] = {}
        self.renamed: tuple[Path, Path] | None = None
        """The last rename made here (old path, new path): the view keeps the row current."""
        controller.draftChanged.connect(self.sync)
        self.sync()

    # -- reading ---------------------------------------------------------------------------

    def sync(self) -> None:
        """Follow the text: reset when the object's text changed (cheap when it did not)."""
        state = self.controller.state
        if not state.is_read() or not state.parses():
            return
        source = state.source_at(self.pointer)
        if source == self._source and self._generation >= 0:
            self._generation = state.generation
            self._children.clear()
            return
        self.beginResetModel()
        self._source = source
        self._generation = state.generation
        self._children.clear()
        self.endResetModel()

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

    def path_of(self, index: Index) -> Path:
        """The path of an index (``()`` for the invisible root)."""
        if not index.isValid():
            return ()
        return self._paths[int(index.internalId())]

    def _id(self, path: Path) -> int:
        found = self._ids.get(path)
        if found is None:
            found = self._ids[path] = len(self._paths)
            self._paths.append(path)
        return found

    def child_keys(self, path: Path) -> list[str | int]:
        """Member names (or element indexes) under ``path``, in text order."""
        if self._generation != self.controller.state.generation:
            self._children.clear()
            self._generation = self.controller.state.generation
        cached = self._children.get(path)
        if cached is None:
            found, value = self.value_at(path)
            keys: list[str | int] = []
            if found and isinstance(value, dict):
                keys = [k for k in value if path or k not in self._hidden]
            elif found and isinstance(value, list):
                keys = list(range(len(value)))
            cached = (keys, {k: i for i, k in enumerate(keys)})
            self._children[path] = cached
        return cached[0]

    def index_of(self, path: Path, column: int = 0) -> QModelIndex:
        """The index of a path (invalid when the path is not there)."""
        if not path:
            return QModelIndex()
        self.child_keys(path[:-1])
        rows = self._children[path[:-1]][1]
        row = rows.get(path[-1])
        if row is None:
            return QModelIndex()
        return self.createIndex(row, column, self._id(path))

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """Qt: the index of a cell."""
        keys = self.child_keys(self.path_of(parent))
        if not 0 <= row < len(keys) or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column, self._id((*self.path_of(parent), keys[row])))

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        """Qt: the parent of an index."""
        path = self.path_of(index)
        if len(path) <= 1:
            return QModelIndex()
        return self.index_of(path[:-1])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Qt: how many members the item has."""
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.child_keys(self.path_of(parent)))

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
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        path = self.path_of(index)
        col = index.column()
        if col == 0:
            editable = isinstance(path[-1], str)
        elif col == 1:
            editable = True
        else:
            found, value = self.value_at(path)
            editable = found and not isinstance(value, dict | list) and value is not None
        return base | Qt.ItemFlag.ItemIsEditable if editable else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt: what a cell shows and edits; a finding's marker and words on the name."""
        if not index.isValid():
            return None
        path = self.path_of(index)
        col = index.column()
        if role == PATH_ROLE:
            return self.pointer_of(path)
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
            return key if isinstance(key, str) else f"[{key}]"
        if col == 1:
            return type_of(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            source = self.controller.state.source_at(self.pointer_of(path))
            if source is not None:
                return source  # as written: 10.50 stays 10.50
        return display(value) if found else ""

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
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        path = self.path_of(index)
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
