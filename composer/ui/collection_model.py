"""The item model of the collections panel: the open collections, each a top-level row, with
their folders and requests below in run order.

The model holds no file logic: it shows the listings it is given
(:class:`~composer.services.collection_outline.CollectionOutline`) as the rows of
:mod:`composer.services.collection_rows`, and turns a rename typed in place and a drag and
drop into signals (``renameRequested``, ``moveRequested``); the collections part does the
file work on a worker thread and gives the model the new listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from composer.services.collection_rows import (
    Kind,
    Move,
    Node,
    Verdicts,
    collection_node,
    find_node,
    node_tooltip,
    plan_drop,
)
from composer.ui import theme

if TYPE_CHECKING:  # loaded with the first collection, after the window is on screen
    from composer.services.collection_outline import CollectionOutline
    from composer.storage.collections import Collection

__all__ = [
    "BADGE_ROLE",
    "KEY_ROLE",
    "KIND_ROLE",
    "RESULT_ROLE",
    "CollectionTreeModel",
    "Kind",
    "Node",
    "verdict_icon",
]

MIME_TYPE = "application/x-event-composer-collection-item"

_Index = QModelIndex | QPersistentModelIndex


KEY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The item's key in its collection (``folder/name``, ``folder/``, ``""`` for the collection)."""
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_ROLE = Qt.ItemDataRole.UserRole + 3
"""A request's expectation in two words (``expects 202``), or None."""
RESULT_ROLE = Qt.ItemDataRole.UserRole + 4
"""The last run's verdict of a request (True passed, False failed), or None."""


class CollectionTreeModel(QAbstractItemModel):
    """Collections, folders and requests. ``renameRequested(node, new_name)`` when a name is
    edited in place; ``moveRequested(node, to_folder_key, before_key)`` when a row is dropped
    (``before_key`` None: at the end of that folder); ``refused(message)`` when a drop cannot
    be done (another collection)."""

    renameRequested = Signal(object, str)
    moveRequested = Signal(object, str, object)
    refused = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._root = Node(Kind.COLLECTION, "", "", cast("Collection", None))
        self._verdicts = Verdicts()

    # -- content -------------------------------------------------------------------------------

    def collections(self) -> list[Collection]:
        return [n.collection for n in self._root.children]

    def set_listing(self, listing: CollectionOutline) -> None:
        """Show ``listing`` (a new collection goes last; a known one is replaced in place)."""
        node = collection_node(listing, self._root)
        self.beginResetModel()
        for i, known in enumerate(self._root.children):
            if known.collection is listing.collection:
                self._root.children[i] = node
                break
        else:
            self._root.children.append(node)
        self.endResetModel()

    def remove_collection(self, collection: Collection) -> None:
        for i, known in enumerate(self._root.children):
            if known.collection is collection:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._root.children[i]
                self.endRemoveRows()
                return

    def set_result(self, collection: Collection, key: str, passed: bool | None) -> None:
        """Mark a request with its last run's verdict (None clears it)."""
        self._verdicts.set(collection, key, passed)
        index = self.index_of(collection, key)
        while index.isValid():  # the request, and its folders (they sum it up)
            self.dataChanged.emit(index, index, [RESULT_ROLE, Qt.ItemDataRole.DecorationRole])
            index = index.parent()

    def verdict(self, node: Node) -> bool | None:
        """A request's last verdict; for a folder or collection, False when a request in it
        failed its last run, True when every request run passed (None: none was run)."""
        return self._verdicts.of(node)

    def node(self, index: _Index) -> Node | None:
        """The row's node (None for the invisible root)."""
        if not index.isValid():
            return None
        node = index.internalPointer()
        return node if isinstance(node, Node) else None

    def index_of(self, collection: Collection, key: str) -> QModelIndex:
        """The index of the item ``key`` of ``collection`` (invalid when it is not listed)."""
        for top in self._root.children:
            if top.collection is not collection:
                continue
            if not key:
                return self.createIndex(top.row(), 0, top)
            found = find_node(top, key)
            if found is not None:
                return self.createIndex(found.row(), 0, found)
        return QModelIndex()

    def nodes(self) -> list[Node]:
        """Every row below the root, depth first."""
        out: list[Node] = []

        def walk(node: Node) -> None:
            for child in node.children:
                out.append(child)
                walk(child)

        walk(self._root)
        return out

    # -- QAbstractItemModel ------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        owner = self.node(parent) or self._root
        if row >= len(owner.children):
            return QModelIndex()
        return self.createIndex(row, 0, owner.children[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self.node(index)
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row(), 0, node.parent)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        owner = self.node(parent) or self._root
        return len(owner.children)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return node.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return node_tooltip(node, self.verdict(node))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(node)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return node.badge or node.kind.value
        if role == KEY_ROLE:
            return node.key
        if role == KIND_ROLE:
            return node.kind.value
        if role == BADGE_ROLE:
            return node.badge
        if role == RESULT_ROLE:
            return self.verdict(node)
        return None

    def _icon(self, node: Node) -> Any:
        from PySide6.QtWidgets import QStyle  # its enums load in ms: when first painted

        style = QApplication.style()
        result = self.verdict(node)
        if result is not None and (node.kind is Kind.REQUEST or result is False):
            return verdict_icon(result)  # a folder shows a failure inside it
        if node.kind is Kind.REQUEST:
            return style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        if node.kind is Kind.COLLECTION:
            return style.standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon)
        return style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        node = self.node(index)
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if node is None:
            return Qt.ItemFlag.ItemIsDropEnabled
        if node.kind is Kind.COLLECTION:
            return base | Qt.ItemFlag.ItemIsDropEnabled
        base |= Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
        if node.kind is Kind.FOLDER:
            base |= Qt.ItemFlag.ItemIsDropEnabled
        return base

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        node = self.node(index)
        if node is None or role != Qt.ItemDataRole.EditRole or node.kind is Kind.COLLECTION:
            return False
        name = str(value)
        if name != node.name:
            # the part renames the files on a worker thread and lists the collection again
            self.renameRequested.emit(node, name)
        return False

    # -- drag and drop -------------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        nodes = [n for n in (self.node(i) for i in indexes) if n is not None]
        if nodes:
            node = nodes[0]  # one item moves at a time (the view selects one)
            payload = f"{node.collection.root}\n{node.key}".encode()
            data.setData(MIME_TYPE, payload)
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: _Index
    ) -> bool:
        return data.hasFormat(MIME_TYPE) and self._dragged(data) is not None

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: _Index
    ) -> bool:
        """A dropped row moves into the folder it is dropped on or between the rows it is
        dropped between; the files move when the part has done it (``moveRequested``)."""
        if action == Qt.DropAction.IgnoreAction:
            return True
        node = self._dragged(data)
        target = self.node(parent)
        if node is None or target is None:
            return False
        plan = plan_drop(node, target, row)
        if isinstance(plan, str):
            self.refused.emit(plan)
        if not isinstance(plan, Move):
            return False
        self.moveRequested.emit(plan.node, plan.to_folder, plan.before)
        return True

    def _dragged(self, data: QMimeData) -> Node | None:
        raw = bytes(data.data(MIME_TYPE).data()).decode("utf-8", "replace")
        root, _, key = raw.partition("\n")
        for top in self._root.children:
            if str(top.collection.root) == root:
                return find_node(top, key) if key else None
        return None


def verdict_icon(passed: bool) -> QIcon:
    """A run's verdict as a row's icon: a green ✓ or a red ✗ (the tool tip says it in words)."""
    colors = theme.colors()
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(colors.ok if passed else colors.error))
    font = QFont(QApplication.font())
    font.setPixelSize(28)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), int(Qt.AlignmentFlag.AlignCenter), "✓" if passed else "✗")
    painter.end()
    return QIcon(pixmap)
