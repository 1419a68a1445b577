"""The property editor: a tree of Name · Type · Value over :class:`JsonTreeModel`, editable
with the mouse (buttons, a context menu) and with the keyboard alone.

Keys: F2 or Enter edits the current cell; Tab and Shift+Tab move between Name, Type and Value
(and on to the next row), Ctrl+Tab and Ctrl+Shift+Tab leave the tree; Insert adds a member
after the current one, Ctrl+Insert one inside it; Delete removes; Ctrl+D duplicates;
Alt+Up/Alt+Down move; Ctrl+C/Ctrl+V copy and paste as JSON; Ctrl+Z/Ctrl+Shift+Z undo and redo
(the composer's one history).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QPoint,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from composer.domain.findings import Severity
from composer.editing.fragments import at_column_0, read_fragment
from composer.editing.values import TYPES, conversion_loss, type_of
from composer.ui.editor.controller import ComposerController
from composer.ui.editor.tree_model import JsonTreeModel, Path
from composer.ui.editor.tree_view import NameDelegate, PropertyTreeView, TreeDelegate

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox


class PropertyEditor(QWidget):
    """Edit one JSON object of the composer's text as a tree (see the module's docstring)."""

    def __init__(
        self,
        controller: ComposerController,
        pointer: str,
        name: str,
        parent: QWidget | None = None,
        *,
        hidden: tuple[str, ...] = (),
        add_label: str = "Add",
        empty_text: str = "",
        fit_rows: int = 0,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._name = name
        self.model = JsonTreeModel(controller, pointer, hidden=hidden, name=name)
        self.tree = PropertyTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(name)
        self.tree.setItemDelegate(
            TreeDelegate(self, lambda index, t: self.convert(self.model.path_of(index), t))
        )
        self.tree.setItemDelegateForColumn(0, NameDelegate(self))
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.tree.setTabKeyNavigation(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.keyAction.connect(self.run)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        self.tree.setColumnWidth(0, 180)
        # Wide enough for the longest type name and the drop-down arrow of its editor.
        self.tree.setColumnWidth(1, self.fontMetrics().horizontalAdvance("boolean") + 56)
        self._saved: tuple[list[Path], Path | None, int, int] = ([], None, 0, 0)
        self._select_after: Path | None = None
        self._question: QMessageBox | None = None
        # An edit changes only its rows (what is expanded, current and scrolled to stays);
        # a document loaded anew resets the model, and what was expanded and current is
        # found again by path.
        self.model.modelAboutToBeReset.connect(self._save_view)
        self.model.modelReset.connect(self._restore_view)
        self.model.refreshed.connect(self._after_change)
        self.model.problem.connect(self._say)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._reveal_current())
        self.tree.focusEntered.connect(lambda: QTimer.singleShot(0, self, self._reveal_current))

        self.add_button = QPushButton(add_label, self)
        self.add_button.setAccessibleName(f"{add_label} to {name}")
        self.add_button.setToolTip("Add a member at the top level")
        self.add_child_button = QPushButton("Add inside", self)
        self.add_child_button.setAccessibleName(f"Add inside the selected {name} item")
        self.add_child_button.setToolTip("Add a member to the selected object or list (Ctrl+Ins)")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setAccessibleName(f"Remove the selected {name} item")
        self.remove_button.setToolTip("Remove the selected member (Del)")
        self.add_button.clicked.connect(lambda: self.add_member(()))
        self.add_child_button.clicked.connect(lambda: self.run("add_child"))
        self.remove_button.clicked.connect(lambda: self.run("remove"))
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
        self._after_change()

    # -- view state across changes ---------------------------------------------------------

    def current_path(self) -> Path | None:
        """The path of the current item, or None."""
        index = self.tree.currentIndex()
        return self.model.path_of(index) if index.isValid() else None

    def _save_view(self) -> None:
        current = self.tree.currentIndex()
        column, row = max(current.column(), 0), max(current.row(), 0)
        # only rows whose members the view was given can be expanded: asking those is cheap
        # where asking every row of an expanded array of thousands was not
        expanded = [
            path
            for path in self.model.opened_paths()
            if self.tree.isExpanded(self.model.index_of(path))
        ]
        self._saved = (expanded, self.current_path(), column, row)
        # A reset takes a cell's open editor away; a focused editor would hand the focus to
        # the next widget in the chain (the buttons below), so the next key would miss the
        # tree. The tree takes it first (Qt does not watch the editor's focus while it
        # commits).
        focus = QApplication.focusWidget()
        if focus is not None and focus is not self.tree and self.tree.isAncestorOf(focus):
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _restore_view(self) -> None:
        """After a reset (another document): expand again what was expanded and make the
        same member current, found by path."""
        expanded, current, column, row = self._saved
        self._saved = ([], None, 0, 0)
        renamed, self.model.renamed = self.model.renamed, None
        if renamed is not None:
            old, new = renamed
            expanded = [new + p[len(old) :] if p[: len(old)] == old else p for p in expanded]
            if current is not None and current[: len(old)] == old:
                current = new + current[len(old) :]
        for path in sorted(expanded, key=len):
            index = self.model.index_of(path)
            if index.isValid():
                self.tree.setExpanded(index, True)
        if current is not None and self._select_after is None:
            self._select(current, column, row)

    def _after_change(self) -> None:
        """After the rows followed a change: the member an action asked for becomes current
        (the view keeps everything else as it was)."""
        target, self._select_after = self._select_after, None
        if target is not None:
            current = self.tree.currentIndex()
            self._select(target, max(current.column(), 0), max(current.row(), 0))
        self._update_buttons()
        self._update_empty()
        self._say("")  # the object changed: what an earlier refusal said is old news

    def _select(self, path: Path, column: int = 0, row: int | None = None) -> None:
        """Make ``path`` current (or what stands nearest to it now: a member that is gone,
        renamed by an undo or in the text, gives its place, ``row``, to the one there now)."""
        for n in range(len(path), 0, -1):
            index = self.model.index_of(path[:n], column if n == len(path) else 0)
            if index.isValid():
                for k in range(1, n):
                    self.tree.setExpanded(self.model.index_of(path[:k]), True)
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)
                return
            # a removed member: its successor, or its predecessor, takes its place
            parent = path[: n - 1]
            keys = self.model.child_keys(parent)
            place = path[-1] if isinstance(path[-1], int) else row
            if n == len(path) and keys and place is not None:
                at = min(place, len(keys) - 1)
                self.tree.setCurrentIndex(self.model.index_of((*parent, keys[at]), column))
                return

    def _reveal_current(self) -> None:
        """While the keyboard is in the tree, the form around it (a scroll area) shows the
        current row: at 1024x700 the table starts below the fold, and rows were edited out
        of sight."""
        focus = QApplication.focusWidget()
        if focus is None or not (focus is self.tree or self.tree.isAncestorOf(focus)):
            return
        index = self.tree.currentIndex()
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        body = area.widget() if area is not None else None
        if not index.isValid() or area is None or body is None:
            return
        rect = self.tree.visualRect(index)
        if rect.isEmpty():
            return
        center = self.tree.viewport().mapTo(body, rect.center())
        area.ensureVisible(center.x(), center.y(), 0, rect.height())

    def _update_empty(self) -> None:
        empty = bool(self._empty_text) and self.model.rowCount() == 0
        self.tree.setVisible(not empty)
        self.empty_label.setVisible(empty)
        # nothing to add inside or remove: only "Add" is offered
        self.add_child_button.setVisible(not empty)
        self.remove_button.setVisible(not empty)
        if self._fit_rows:
            # A short list gets a short table (no blank rows that look like a member left
            # behind); a long one scrolls inside fit_rows rows.
            rows = min(max(self.model.rowCount(), 1), self._fit_rows)
            row_height = max(self.tree.sizeHintForRow(0), self.fontMetrics().height() + 6)
            header = self.tree.header().sizeHint().height()
            self.tree.setFixedHeight(header + rows * row_height + 2 * self.tree.frameWidth() + 4)

    def _update_buttons(self) -> None:
        path = self.current_path()
        self.remove_button.setEnabled(path is not None)
        self.add_child_button.setEnabled(path is not None and self.model.is_container(path))

    def _say(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(bool(message))

    # -- public ----------------------------------------------------------------------------

    def set_flags(self, flags: dict[Path, tuple[Severity, str]]) -> None:
        """Mark the members findings name."""
        self.model.set_flags({self._as_written(path): flag for path, flag in flags.items()})

    def select_path(self, path: Path) -> bool:
        """Reveal, select and focus the member at ``path`` (or its nearest ancestor)."""
        path = self._as_written(path)
        self._select(path)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
        return self.current_path() == path

    def _as_written(self, path: Path) -> Path:
        """A finding's path with each step as the value holds it: a member named "2024" of
        an object is a name, not the index 2024 (its digits read as an index put the marker
        nowhere and a click on the finding on the object's last member)."""
        found, node = self.model.value_at(())
        if not found:
            return path
        steps: list[str | int] = []
        for step in path:
            if isinstance(node, dict):
                key: str | int = str(step)
                node = node.get(key)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                key, node = step, node[step]
            else:
                return (*steps, *path[len(steps) :])
            steps.append(key)
        return tuple(steps)

    def add_member(self, parent: Path, at: int | None = None) -> Path | None:
        """Add an empty string member to the object or array at ``parent`` (at row ``at``,
        default last) and start editing it: the name of a member, the value of an item."""
        found, holder = self.model.value_at(parent)
        ptr = self.model.pointer_of(parent)
        key: str | int
        if found and isinstance(holder, dict):
            key = _free_name(holder, "new property")
            self._edit_then_select((*parent, key), "insert", ptr, key, "", at)
        elif found and isinstance(holder, list):
            key = len(holder) if at is None else at
            self._edit_then_select((*parent, key), "insert", ptr, None, "", key)
        elif not parent and not found:  # the object itself is absent: made with the member
            key = "new property"
            self._edit_then_select((key,), "set_value", self.model.pointer_of((key,)), "")
        else:
            return None
        path = (*parent, key)
        index = self.model.index_of(path, 0 if isinstance(key, str) else 2)
        if not index.isValid():
            return None
        self.tree.setCurrentIndex(index)
        self.tree.edit(index)
        return path

    def convert(self, path: Path, new_type: str) -> bool:
        """Change the type of a member. When its value would be lost a question opens first
        (window-modal, not a nested event loop) and the change waits for its answer; returns
        whether the type changed now."""
        found, value = self.model.value_at(path)
        if not found:
            return False
        lost = conversion_loss(value, new_type)
        if not lost:
            self._select_after = path
            return self.model.convert_type(path, new_type)
        if self._question is not None:
            return False  # one question at a time: a second one would ask again after Cancel
        # (the dialog's classes load when first asked, not before the window's first paint)
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Change the type?",
            f"Change {self.model.describe(path)} from {type_of(value)} to {new_type}? "
            f"This loses {lost}. (Undo brings it back.)",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("convertType")
        change = box.addButton("Change type", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered() -> None:
            self._question = None
            if box.clickedButton() is change:
                self._select_after = path
                self.model.convert_type(path, new_type)
            box.deleteLater()
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

        box.finished.connect(answered)
        self._question = box
        box.open()
        return False

    def run(self, action: str) -> None:
        """One of the editing actions on the current member (menu, key or button)."""
        path = self.current_path()
        if action == "undo":
            self.controller.undo()
        elif action == "redo":
            self.controller.redo()
        elif action == "paste":
            self.paste(path or ())
        elif path is None:
            if action in ("add_sibling", "add_child"):
                self.add_member(())
        elif action == "add_sibling":
            self.add_member(path[:-1], self.model.index_of(path).row() + 1)
        elif action == "add_child":
            if self.model.is_container(path):
                self.tree.setExpanded(self.model.index_of(path), True)
                self.add_member(path)
        elif action == "remove":
            self._edit_then_select(self._after_removal(path), "remove", self.model.pointer_of(path))
        elif action == "duplicate":
            result = self.controller.edit("duplicate", self.model.pointer_of(path))
            if result is not None:
                copy_path = (*path[:-1], _last_token(result[1], path))
                self._select(copy_path)
        elif action in ("move_up", "move_down"):
            step = -1 if action == "move_up" else 1
            count = self.model.rowCount(self.model.index_of(path).parent())
            new_path = _moved(path, step, count)
            self._edit_then_select(new_path, "move", self.model.pointer_of(path), step)
        elif action == "copy":
            QGuiApplication.clipboard().setText(at_column_0(self.model.copy_json(path)))

    def _after_removal(self, path: Path) -> Path:
        """What becomes current when ``path`` is removed: the member after it, else the one
        before it, else its parent (an item of a list keeps its index: the next item)."""
        if isinstance(path[-1], int):
            return path
        # by row, not by listing the names: an object may have thousands
        index = self.model.index_of(path)
        row, count = index.row(), self.model.rowCount(index.parent())
        if row + 1 < count:
            return self.model.path_of(index.siblingAtRow(row + 1))
        return self.model.path_of(index.siblingAtRow(row - 1)) if row > 0 else path[:-1]

    def paste(self, path: Path) -> None:
        """Paste JSON, written as it is on the clipboard (``10.50`` stays ``10.50``): into an
        object an object's members are added (same names replaced); into an array the value
        is added as its last item; on anything else it replaces the value. Nothing changes
        when the clipboard does not hold one JSON value."""
        try:
            fragment = read_fragment(QGuiApplication.clipboard().text())
        except ValueError as exc:
            self._say(f"{self._name}: the clipboard does not hold JSON ({exc})")
            return
        found, holder = self.model.value_at(path)
        if not path and not isinstance(fragment.value, dict):
            # the object itself: only members can go into it, never a value over it
            self._say(
                f"{self._name}: select the member to replace, or paste an object "
                '({"Name": value, ...}) to add its members'
            )
            return
        self._say("")
        ptr = self.model.pointer_of(path)
        with self.controller.batch():
            if found and isinstance(holder, dict) and isinstance(fragment.value, dict):
                # members it has are replaced where they stand, the new ones added (the last
                # of a name given twice): one edit each, as thousands pasted at once, one
                # change per member, stalled the window for minutes
                kept: dict[str, str] = {}
                added: dict[str, str] = {}
                for key, text in fragment.members:
                    (kept if key in holder else added)[key] = text
                self.controller.edit("set_members", ptr, list(kept.items()))
                self.controller.edit("insert_members", ptr, list(added.items()))
            elif found and isinstance(holder, list):
                self.controller.edit("insert", ptr, None, None, json_text=fragment.text)
            else:
                self.controller.edit("set_json", ptr, fragment.text)
        self._select(path)

    def _edit_then_select(self, select: Path, operation: str, *args: Any) -> None:
        self._select_after = select
        if self.controller.edit(operation, *args) is None:
            self._select_after = None

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        path = self.current_path() if index.isValid() else None
        menu = QMenu(self)
        container = path is not None and self.model.is_container(path)

        def add(text: str, action: str, shortcut: str = "", enabled: bool = True) -> QAction:
            item = menu.addAction(text)
            item.setShortcut(QKeySequence(shortcut)) if shortcut else None
            item.setEnabled(enabled)
            item.triggered.connect(lambda: self.run(action))
            return item

        add("Add member after" if path else "Add member", "add_sibling", "Ins")
        add("Add member inside", "add_child", "Ctrl+Ins", container)
        add("Duplicate", "duplicate", "Ctrl+D", path is not None)
        add("Remove", "remove", "Del", path is not None)
        menu.addSeparator()
        add("Move up", "move_up", "Alt+Up", path is not None)
        add("Move down", "move_down", "Alt+Down", path is not None)
        menu.addSeparator()
        add("Copy as JSON", "copy", "Ctrl+C", path is not None)
        add("Paste JSON", "paste", "Ctrl+V")
        types = menu.addMenu("Change type to")
        types.setEnabled(path is not None)
        if path is not None:
            _found, value = self.model.value_at(path)
            for name in TYPES:
                act = types.addAction(name)
                act.setCheckable(True)
                act.setChecked(type_of(value) == name)
                act.triggered.connect(lambda _c=False, t=name, p=path: self.convert(p, t))
        menu.exec(self.tree.viewport().mapToGlobal(pos))


def _free_name(holder: dict[str, Any], base: str) -> str:
    name, n = base, 1
    while name in holder:
        n += 1
        name = f"{base} {n}"
    return name


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _last_token(ptr: str, like: Path) -> str | int:
    token = ptr.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
    return int(token) if isinstance(like[-1], int) else token


def _moved(path: Path, step: int, count: int) -> Path:
    if isinstance(path[-1], int):
        return (*path[:-1], max(0, min(count - 1, path[-1] + step)))
    return path


__all__ = ["PropertyEditor"]
