"""A tree editor for a JSON object: key · type · value, nested objects and arrays.

It edits the dict it is given in place and says so with :attr:`PropertiesTree.edited`.
Items are created lazily (children when a node is first expanded, at most
:data:`PAGE_SIZE` at a time with a "N more…" row), so a properties object of a megabyte
costs nothing until someone opens it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.domain.findings import Severity

PAGE_SIZE = 200
TYPES = ("string", "number", "boolean", "null", "object", "array")
Path = tuple[str | int, ...]

_PATH = Qt.ItemDataRole.UserRole
_KIND = Qt.ItemDataRole.UserRole + 1  # "value", "placeholder" or "more"
_NEXT = Qt.ItemDataRole.UserRole + 2  # for "more" rows: the next index to show
_INT = re.compile(r"-?(0|[1-9]\d*)")


def type_of(value: Any) -> str:
    """The JSON type name of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def display(value: Any) -> str:
    """How a value reads in the Value column."""
    if isinstance(value, dict):
        n = len(value)
        return f"{{ {n} member{'s' if n != 1 else ''} }}"
    if isinstance(value, list):
        n = len(value)
        return f"[ {n} item{'s' if n != 1 else ''} ]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def parse_number(text: str) -> int | float | None:
    """A JSON number from what someone typed, or None when it is not one."""
    t = text.strip()
    if _INT.fullmatch(t):
        return int(t)
    try:
        number = float(t)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def convert(value: Any, new_type: str) -> Any:
    """Turn a value into another JSON type, keeping what can be kept."""
    if new_type == type_of(value):
        return value
    if new_type == "string":
        return "" if value is None or isinstance(value, dict | list) else display(value)
    if new_type == "number":
        number = parse_number(value) if isinstance(value, str) else None
        return number if number is not None else 0
    if new_type == "boolean":
        return value in ("true", 1) or value is True
    if new_type == "object":
        return {}
    if new_type == "array":
        return [] if not isinstance(value, str) or not value else [value]
    return None


class _Delegate(QStyledItemDelegate):
    """Type and boolean cells edit with a drop-down; the rest as text."""

    def __init__(self, tree: PropertiesTree) -> None:
        super().__init__(tree)
        self._tree = tree

    def _choices(self, index: QModelIndex | QPersistentModelIndex) -> tuple[str, ...] | None:
        if index.column() == 1:
            return TYPES
        if index.column() == 2 and index.sibling(index.row(), 1).data() == "boolean":
            return ("true", "false")
        return None

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        choices = self._choices(index)
        if choices is None:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.addItems(list(choices))
        combo.setAccessibleName("Type" if index.column() == 1 else "Value")
        # Commit as soon as a choice is made: one click, not click-then-leave.
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(
        self,
        editor: QWidget,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data()))
        else:
            super().setEditorData(editor, index)

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText())
        else:
            super().setModelData(editor, model, index)


class PropertiesTree(QWidget):
    """Edit a JSON object as a tree; ``edited`` fires after each change to :attr:`data`."""

    edited = Signal()

    def __init__(
        self,
        name: str,
        parent: QWidget | None = None,
        *,
        add_label: str = "Add",
        empty_text: str = "",
        fit_rows: int = 0,
    ) -> None:
        super().__init__(parent)
        self.data: dict[str, Any] = {}
        self._name = name
        self._updating = False
        self._flags: dict[Path, tuple[Severity, str]] = {}
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Name", "Type", "Value"])
        self.tree.setAccessibleName(name)
        self.tree.setItemDelegate(_Delegate(self))
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 180)
        self.tree.itemExpanded.connect(self._on_expanded)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemClicked.connect(self._on_clicked)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())

        self.add_button = QPushButton(add_label, self)
        self.add_button.setAccessibleName(f"{add_label} to {name}")
        self.add_button.setToolTip("Add a member at the top level")
        self.add_child_button = QPushButton("Add inside", self)
        self.add_child_button.setAccessibleName(f"Add inside the selected {name} item")
        self.add_child_button.setToolTip("Add a member to the selected object or list")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setAccessibleName(f"Remove the selected {name} item")
        self.add_button.clicked.connect(lambda: self.add_member(()))
        self.add_child_button.clicked.connect(self._add_inside_selected)
        self.remove_button.clicked.connect(self._remove_selected)
        # With an empty_text, an empty object shows that sentence instead of an empty table.
        self._empty_text = empty_text
        self._fit_rows = fit_rows
        self.empty_label = QLabel(empty_text, self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName(f"{name}: none")
        self.empty_label.setEnabled(False)  # reads as a quiet hint in every style
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(f"{name} message")
        self.status.hide()

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.add_child_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._update_buttons()
        self._update_empty()

    def _update_empty(self) -> None:
        empty = bool(self._empty_text) and not self.data
        self.tree.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if self._fit_rows:
            # A short list gets a short table; a long one scrolls inside fit_rows rows.
            rows = min(max(self.tree.topLevelItemCount(), 2), self._fit_rows)
            row_height = self.tree.sizeHintForRow(0) if self.tree.topLevelItemCount() else 0
            row_height = max(row_height, self.fontMetrics().height() + 4)
            header = self.tree.header().sizeHint().height()
            self.tree.setFixedHeight(header + rows * row_height + 2 * self.tree.frameWidth() + 4)

    # -- data ------------------------------------------------------------------------------

    def set_data(self, data: dict[str, Any]) -> None:
        """Show ``data`` (edited in place from now on), keeping open what was open."""
        expanded = self._expanded_paths()
        current = self.tree.currentItem()
        current_path = current.data(0, _PATH) if current is not None else None
        self.data = data
        self._updating = True
        try:
            self.tree.clear()
            self._populate(self.tree.invisibleRootItem(), (), data, 0)
        finally:
            self._updating = False
        for path in sorted(expanded, key=len):
            item = self.find_item(path)
            if item is not None:
                item.setExpanded(True)
        if current_path is not None:
            item = self.find_item(tuple(current_path))
            if item is not None:
                self.tree.setCurrentItem(item)
        self._update_buttons()
        self._update_empty()

    def value_at(self, path: Path) -> Any:
        node: Any = self.data
        for part in path:
            node = node[part]
        return node

    def _expanded_paths(self) -> list[Path]:
        out: list[Path] = []
        stack = [self.tree.invisibleRootItem()]
        while stack:
            item = stack.pop()
            for i in range(item.childCount()):
                child = item.child(i)
                if child is not None and child.isExpanded() and child.data(0, _KIND) == "value":
                    out.append(tuple(child.data(0, _PATH)))
                    stack.append(child)
        return out

    # -- items -----------------------------------------------------------------------------

    def _populate(self, parent: QTreeWidgetItem, path: Path, container: Any, start: int) -> None:
        pairs = (
            list(container.items()) if isinstance(container, dict) else list(enumerate(container))
        )
        page = pairs[start : start + PAGE_SIZE]
        for key, value in page:
            parent.addChild(self._make_item((*path, key), key, value, isinstance(container, dict)))
        rest = len(pairs) - start - len(page)
        if rest > 0:
            more = QTreeWidgetItem([f"{rest} more…", "", "click to show"])
            more.setData(0, _KIND, "more")
            more.setData(0, _PATH, list(path))
            more.setData(0, _NEXT, start + len(page))
            more.setFlags(Qt.ItemFlag.ItemIsEnabled)
            more.setToolTip(0, "Show the next items (or edit them in Raw JSON)")
            parent.addChild(more)

    def _make_item(self, path: Path, key: str | int, value: Any, named: bool) -> QTreeWidgetItem:
        label = str(key) if named else f"[{key}]"
        item = QTreeWidgetItem([label, type_of(value), display(value)])
        item.setData(0, _PATH, list(path))
        item.setData(0, _KIND, "value")
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable)
        if isinstance(value, dict | list) and value:
            placeholder = QTreeWidgetItem([""])
            placeholder.setData(0, _KIND, "placeholder")
            item.addChild(placeholder)
        if key == "$extra" and len(path) == 1:
            item.setToolTip(
                0,
                "$extra: data Klaviyo stores with the event but does not offer "
                "for segmentation; a good place for large or rarely used data",
            )
        flag = self._flags.get(path)
        if flag is not None:
            self._apply_flag(item, *flag)
        return item

    def _apply_flag(self, item: QTreeWidgetItem, severity: Severity | None, message: str) -> None:
        text = item.text(0).lstrip("✖⚠ ")
        if severity is None:
            item.setText(0, text)
            item.setToolTip(2, "")
            return
        symbol = "✖" if severity is Severity.ERROR else "⚠"
        item.setText(0, f"{symbol} {text}")
        item.setToolTip(0, message)
        item.setToolTip(2, message)

    def _on_expanded(self, item: QTreeWidgetItem) -> None:
        first = item.child(0) if item.childCount() == 1 else None
        if first is not None and first.data(0, _KIND) == "placeholder":
            self._updating = True
            try:
                item.takeChild(0)
                path = tuple(item.data(0, _PATH))
                self._populate(item, path, self.value_at(path), 0)
            finally:
                self._updating = False

    def _on_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, _KIND) != "more":
            return
        parent = item.parent() or self.tree.invisibleRootItem()
        path = tuple(item.data(0, _PATH))
        start = int(item.data(0, _NEXT))
        self._updating = True
        try:
            parent.removeChild(item)
            self._populate(parent, path, self.value_at(path) if path else self.data, start)
        finally:
            self._updating = False

    def find_item(self, path: Path, *, create: bool = False) -> QTreeWidgetItem | None:
        """The item of a path; with ``create`` the path is expanded (and paged) to reach it."""
        item = self.tree.invisibleRootItem()
        for depth in range(len(path)):
            if create and depth > 0:
                item.setExpanded(True)
                self._on_expanded(item)
            want = list(path[: depth + 1])
            found = None
            for _ in range(10_000):  # bounded paging through "more…" rows
                for i in range(item.childCount()):
                    child = item.child(i)
                    if (
                        child is not None
                        and child.data(0, _KIND) == "value"
                        and child.data(0, _PATH) == want
                    ):
                        found = child
                        break
                last = item.child(item.childCount() - 1) if item.childCount() else None
                if found is not None or not create or last is None or last.data(0, _KIND) != "more":
                    break
                self._on_clicked(last, 0)
            if found is None:
                return None
            item = found
        return item if path else None

    def select_path(self, path: Path) -> bool:
        """Reveal, select and focus the item of ``path`` (or its nearest ancestor)."""
        for n in range(len(path), 0, -1):
            item = self.find_item(path[:n], create=True)
            if item is not None:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
        return False

    def set_flags(self, flags: dict[Path, tuple[Severity, str]]) -> None:
        """Mark the items that have findings (symbol + tooltip; created items only now,
        the others when they are created)."""
        old = self._flags
        self._flags = flags
        self._updating = True
        try:
            for path in set(old) | set(flags):
                item = self.find_item(path)
                if item is not None:
                    sev, msg = flags.get(path, (None, ""))
                    self._apply_flag(item, sev, msg)
        finally:
            self._updating = False

    # -- editing ---------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(bool(message))

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or item.data(0, _KIND) != "value":
            return
        path: Path = tuple(item.data(0, _PATH))
        parent_path, key = path[:-1], path[-1]
        parent = self.value_at(parent_path)
        value = parent[key]
        self._say("")
        if column == 0:
            new_key = item.text(0).lstrip("✖⚠ ")
            if isinstance(parent, list) or new_key == key:
                self._refresh_item(item, path)
                return
            if not new_key or new_key in parent:
                self._say(
                    f'{self._name}: a member named "{new_key}" already exists here; '
                    "choose another name"
                    if new_key
                    else f"{self._name}: a name cannot be empty"
                )
                self._refresh_item(item, path)
                return
            assert isinstance(key, str)
            items = [(new_key if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
            # Only this item's path changed: update it in place (selection and editor stay).
            new_path = (*parent_path, new_key)
            self._updating = True
            try:
                item.setData(0, _PATH, list(new_path))
                item.setText(0, new_key)
            finally:
                self._updating = False
            self._refresh_item(item, new_path)
        elif column == 1:
            new_type = item.text(1)
            if new_type not in TYPES:
                self._refresh_item(item, path)
                return
            parent[key] = convert(value, new_type)
            self._refresh_item(item, path)
        else:
            parsed, problem = self._parse_value(item.text(2), type_of(value), path)
            if problem:
                self._say(problem)
                self._refresh_item(item, path)
                return
            parent[key] = parsed
            self._refresh_item(item, path)
        self.edited.emit()

    def _parse_value(self, text: str, kind: str, path: Path) -> tuple[Any, str]:
        name = ".".join(str(p) for p in path)
        if kind == "number":
            number = parse_number(text)
            if number is None:
                return None, (
                    f'{name}: "{text}" is not a number; write it like 9.99 or 42 (or '
                    "change the type to string)"
                )
            return number, ""
        if kind == "boolean":
            if text.strip().lower() not in ("true", "false"):
                return None, f"{name}: choose true or false"
            return text.strip().lower() == "true", ""
        if kind == "string":
            return text, ""
        return self.value_at(path), ""  # containers and null are not edited as text

    def _refresh_item(self, item: QTreeWidgetItem, path: Path) -> None:
        value = self.value_at(path)
        self._updating = True
        try:
            item.setText(1, type_of(value))
            item.setText(2, display(value))
            expanded = item.isExpanded()
            item.takeChildren()
            if isinstance(value, dict | list) and value:
                placeholder = QTreeWidgetItem([""])
                placeholder.setData(0, _KIND, "placeholder")
                item.addChild(placeholder)
                if expanded:
                    self._on_expanded(item)
        finally:
            self._updating = False

    def _rebuild_children(self, parent_item: QTreeWidgetItem | None, path: Path) -> None:
        if parent_item is None:
            self.set_data(self.data)
            return
        self._updating = True
        try:
            parent_item.takeChildren()
            self._populate(parent_item, path, self.value_at(path), 0)
            parent_item.setText(2, display(self.value_at(path)))
        finally:
            self._updating = False

    def add_member(self, path: Path) -> QTreeWidgetItem | None:
        """Add an empty string member to the object or array at ``path``; start editing it."""
        container = self.value_at(path)
        if isinstance(container, dict):
            base, n = "new property", 1
            key: str | int = base
            while key in container:
                n += 1
                key = f"{base} {n}"
            container[key] = ""
        elif isinstance(container, list):
            container.append("")
            key = len(container) - 1
        else:
            return None
        parent_item = self.find_item(path, create=True) if path else None
        self._rebuild_children(parent_item, path)
        if parent_item is not None:
            parent_item.setExpanded(True)
        item = self.find_item((*path, key), create=True)
        self._update_empty()
        self.edited.emit()
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.editItem(item, 0 if isinstance(key, str) else 2)
        return item

    def _selected_path(self) -> Path | None:
        item = self.tree.currentItem()
        if item is None or item.data(0, _KIND) != "value":
            return None
        path = tuple(item.data(0, _PATH))
        try:
            self.value_at(path)
        except (KeyError, IndexError, TypeError):
            return None  # the item outlived its data (a rebuild is on its way)
        return path

    def _add_inside_selected(self) -> None:
        path = self._selected_path()
        if path is not None and isinstance(self.value_at(path), dict | list):
            self.add_member(path)

    def _remove_selected(self) -> None:
        path = self._selected_path()
        if path is None:
            return
        parent_path, key = path[:-1], path[-1]
        parent = self.value_at(parent_path)
        del parent[key]
        item = self.find_item(path)
        parent_item = item.parent() if item is not None else None
        self._rebuild_children(parent_item, parent_path)
        self._update_empty()
        self.edited.emit()

    def _update_buttons(self) -> None:
        path = self._selected_path()
        self.remove_button.setEnabled(path is not None)
        self.add_child_button.setEnabled(
            path is not None and isinstance(self.value_at(path), dict | list)
        )
