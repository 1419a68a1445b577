"""The view side of the property editor: a tree view whose Tab walks the cells of a row, the
keys of the editing actions, and a delegate with drop-downs for types and booleans."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from composer.editing.values import TYPES
from composer.ui.editor.form_parts import LONGEST_TEXT
from composer.ui.editor.tree_model import LABEL_ROLE

Index = QModelIndex | QPersistentModelIndex


class TreeDelegate(QStyledItemDelegate):
    """Type and boolean cells edit with a drop-down; changing a type that would lose data
    asks first."""

    def __init__(self, parent: QWidget, convert: Callable[[Index, str], object]) -> None:
        super().__init__(parent)
        self._convert = convert

    def _choices(self, index: Index) -> tuple[str, ...] | None:
        if index.column() == 1:
            return TYPES
        if index.column() == 2 and index.sibling(index.row(), 1).data() == "boolean":
            return ("true", "false")
        return None

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        """A combo box for Type and boolean values, a line edit otherwise."""
        choices = self._choices(index)
        if choices is None:
            return _whole(super().createEditor(parent, option, index))
        combo = QComboBox(parent)
        combo.addItems(list(choices))
        combo.setAccessibleName("Type" if index.column() == 1 else "Value")
        # Commit as soon as a choice is made (one click, not click-then-leave), and close
        # the drop-down: left open behind a question about a lossy type change, it committed
        # again when the question took the focus, and a second question came up.
        combo.activated.connect(lambda _i: self._chosen(combo))
        return combo

    def _chosen(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        """Show the cell's value in the editor."""
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        """Write the editor's value (a lossy type change only after a yes)."""
        if not isinstance(editor, QComboBox):
            super().setModelData(editor, model, index)
            return
        text = editor.currentText()
        if index.column() == 1:
            self._convert(index, text)
        else:
            model.setData(index, text)


class NameDelegate(QStyledItemDelegate):
    """The Name column: an array item's cell reads its index ("[3]"), which is its place,
    not its data (see ``LABEL_ROLE``). Only this column pays for the Python override."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        """The index of an array item as its name."""
        super().initStyleOption(option, index)
        label = index.data(LABEL_ROLE)
        if label:
            option.text = label
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        """A line edit that holds a name of any length."""
        return _whole(super().createEditor(parent, option, index))


def _whole(editor: QWidget) -> QWidget:
    """A cell's line edit holds a name or value of any length (Qt's default of 32,767
    characters cut a longer one, and Enter sent it cut)."""
    if isinstance(editor, QLineEdit):
        editor.setMaxLength(LONGEST_TEXT)
    return editor


class PropertyTreeView(QTreeView):
    """Tab moves across the cells of a row before the next row, as in a table."""

    keyAction = Signal(str)
    focusEntered = Signal()
    """The tree took the keyboard focus (after the scroll area around it placed it)."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Say that the tree has the focus now."""
        super().focusInEvent(event)
        self.focusEntered.emit()

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Tab: the next cell of the row (then the first of the next row); Shift+Tab back;
        none past the last cell (or before the first)."""
        current = self.currentIndex()
        model = self.model()
        if current.isValid() and action in (
            QAbstractItemView.CursorAction.MoveNext,
            QAbstractItemView.CursorAction.MovePrevious,
        ):
            forward = action == QAbstractItemView.CursorAction.MoveNext
            column = current.column() + (1 if forward else -1)
            if 0 <= column < model.columnCount(current.parent()):
                return current.siblingAtColumn(column)
            row = super().moveCursor(
                QAbstractItemView.CursorAction.MoveDown
                if forward
                else QAbstractItemView.CursorAction.MoveUp,
                modifiers,
            )
            if row.isValid() and row.siblingAtColumn(0) != current.siblingAtColumn(0):
                return row.siblingAtColumn(0 if forward else model.columnCount(row.parent()) - 1)
            # past the last (or first) cell: nowhere in the tree, so Tab leaves it, and Tab in
            # the last cell's editor closes it instead of opening it again
            return QModelIndex()
        return super().moveCursor(action, modifiers)

    def event(self, event: QEvent) -> bool:
        """The menu key opens the menu on the current item. Qt places a keyboard context
        menu by the input method's cursor rectangle, in the tree's coordinates (below the
        header), while the menu reads viewport coordinates: it opened on the row below."""
        if (
            event.type() == QEvent.Type.ContextMenu
            and isinstance(event, QContextMenuEvent)
            and event.reason() == QContextMenuEvent.Reason.Keyboard
            and self.currentIndex().isValid()
        ):
            self.scrollTo(self.currentIndex())
            self.customContextMenuRequested.emit(self.visualRect(self.currentIndex()).center())
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """The editing keys of the property editor (see the module's docstring)."""
        if self.state() == QAbstractItemView.State.EditingState:
            super().keyPressEvent(event)
            return
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            # Tab walks every cell of every row; Ctrl+Tab leaves the tree at once (as it
            # leaves a text editor), Ctrl+Shift+Tab backwards
            backwards = event.key() == Qt.Key.Key_Backtab or bool(
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            )
            # (the view's own focusNextPrevChild would walk the cells again)
            QWidget.focusNextPrevChild(self, not backwards)
            event.accept()
            return
        name = key_action(event)
        if name:
            self.keyAction.emit(name)
            event.accept()
            return
        super().keyPressEvent(event)


def key_action(event: QKeyEvent) -> str:
    """The editing action a key press asks for ("" for none)."""
    key, mods = event.key(), event.modifiers()
    ctrl = Qt.KeyboardModifier.ControlModifier
    alt = Qt.KeyboardModifier.AltModifier
    # Before the standard keys: on Linux and Windows Ctrl+Ins is also Copy, which would
    # take the key the editor offers for "Add member inside" (Shift+Ins stays Paste).
    if key == Qt.Key.Key_Insert and not mods & Qt.KeyboardModifier.ShiftModifier:
        return "add_child" if mods & ctrl else "add_sibling"
    for seq, name in (
        (QKeySequence.StandardKey.Undo, "undo"),
        (QKeySequence.StandardKey.Redo, "redo"),
        (QKeySequence.StandardKey.Copy, "copy"),
        (QKeySequence.StandardKey.Paste, "paste"),
    ):
        if event.matches(seq):
            return name
    if key == Qt.Key.Key_Delete:
        return "remove"
    if key == Qt.Key.Key_D and mods & ctrl:
        return "duplicate"
    if key == Qt.Key.Key_Up and mods & alt:
        return "move_up"
    if key == Qt.Key.Key_Down and mods & alt:
        return "move_down"
    return ""
