"""The item model of the collections panel: the open collections, each a top-level row, with
their folders and requests below in run order.

The model holds no file logic: it shows the listings it is given
(:class:`~composer.services.collection_outline.CollectionOutline`) and turns a rename typed
in place and a drag and drop into signals (``renameRequested``, ``moveRequested``); the
collections part does the file work on a worker thread and gives the model the new listing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
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

from composer.ui import theme

if TYPE_CHECKING:  # loaded with the first collection, after the window is on screen
    from composer.services.collection_outline import CollectionOutline
    from composer.storage.collections import Collection, FolderItem, RequestItem

MIME_TYPE = "application/x-event-composer-collection-item"

_Index = QModelIndex | QPersistentModelIndex


class Kind(enum.Enum):
    """What a row of the panel is."""

    COLLECTION = "collection"
    FOLDER = "folder"
    REQUEST = "request"


KEY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The item's key in its collection (``folder/name``, ``folder/``, ``""`` for the collection)."""
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_ROLE = Qt.ItemDataRole.UserRole + 3
"""A request's expectation in two words (``expects 202``), or None."""
RESULT_ROLE = Qt.ItemDataRole.UserRole + 4
"""The last run's verdict of a request (True passed, False failed), or None."""


@dataclass(eq=False)
class Node:
    """One row: a collection, a folder or a request."""

    kind: Kind
    name: str
    key: str
    collection: Collection
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    badge: str | None = None
    tip: str = ""

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0

    @property
    def folder_key(self) -> str:
        """The key of the folder a new item goes into when this row is chosen: the row itself
        for a folder or collection, its folder for a request."""
        if self.kind is Kind.REQUEST:
            return self.parent.folder_key if self.parent is not None else ""
        return self.key


def _build(item: FolderItem | RequestItem, listing: CollectionOutline, parent: Node) -> Node:
    collection = listing.collection
    if not hasattr(item, "children"):  # a RequestItem
        return Node(
            Kind.REQUEST,
            item.name,
            item.key,
            collection,
            parent,
            badge=listing.badges.get(item.key),
            tip=listing.expectations.get(item.key, ""),
        )
    folder = cast("FolderItem", item)
    node = Node(Kind.FOLDER, folder.name, folder.key, collection, parent)
    node.children = [_build(child, listing, node) for child in folder.children]
    return node


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
        self._results: dict[tuple[str, str], bool] = {}

    # -- content -------------------------------------------------------------------------------

    def collections(self) -> list[Collection]:
        return [n.collection for n in self._root.children]

    def set_listing(self, listing: CollectionOutline) -> None:
        """Show ``listing`` (a new collection goes last; a known one is replaced in place)."""
        node = Node(
            Kind.COLLECTION,
            listing.collection.name,
            "",
            listing.collection,
            self._root,
            tip="\n".join(f"Not used: {p}" for p in listing.tree.problems[:8]),
        )
        node.children = [_build(child, listing, node) for child in listing.tree.root.children]
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
        where = (str(collection.root), key)
        if passed is None:
            self._results.pop(where, None)
        else:
            self._results[where] = passed
        index = self.index_of(collection, key)
        while index.isValid():  # the request, and its folders (they sum it up)
            self.dataChanged.emit(index, index, [RESULT_ROLE, Qt.ItemDataRole.DecorationRole])
            index = index.parent()

    def verdict(self, node: Node) -> bool | None:
        """A request's last verdict; for a folder or collection, False when a request in it
        failed its last run, True when every request run passed (None: none was run)."""
        if node.kind is Kind.REQUEST:
            return self._results.get((str(node.collection.root), node.key))
        verdicts = [v for v in (self.verdict(c) for c in node.children) if v is not None]
        if not verdicts:
            return None
        return all(verdicts)

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
            found = _find(top, key)
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
            return self._tooltip(node)
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

    def _tooltip(self, node: Node) -> str:
        if node.kind is Kind.COLLECTION:
            text = f"{node.collection.root}\nRight-click to run it, add a request or close it."
            return f"{text}\n{node.tip}" if node.tip else text
        if node.kind is Kind.FOLDER:
            verdict = self.verdict(node)
            text = f"{node.key} in {node.collection.name}"
            if verdict is not None:
                text += "\nLast run: every request passed" if verdict else "\nLast run: a failure"
            return text
        lines = [f"{node.key}.event.json in {node.collection.name}"]
        lines.append(
            node.tip or "No expectation file: a run expects 202 (accepted) from the server."
        )
        result = self._results.get((str(node.collection.root), node.key))
        if result is not None:
            lines.append("Last run: passed" if result else "Last run: failed")
        return "\n".join(lines)

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
        if target.collection is not node.collection:
            self.refused.emit(
                f"“{node.name}” stays in {node.collection.name}: a request does not move "
                "between collections by dragging; open it and use File ▸ Save to collection… "
                "to copy it into the other one."
            )
            return False
        if target.kind is Kind.REQUEST:
            return False
        if node.kind is Kind.FOLDER and (target is node or _is_below(target, node)):
            self.refused.emit(f"The folder “{node.name}” cannot go into itself.")
            return False
        if 0 <= row < len(target.children):
            after = target.children[row:]
            before = next((c for c in after if c is not node), None)
        else:
            before = None
        if before is None and node.parent is target and node is target.children[-1]:
            return False  # dropped where it is
        if before is not None and node.parent is target:
            at = target.children.index(node)
            if at + 1 < len(target.children) and target.children[at + 1] is before:
                return False  # dropped right below itself: where it is
        self.moveRequested.emit(node, target.key, before.key if before is not None else None)
        return True

    def _dragged(self, data: QMimeData) -> Node | None:
        raw = bytes(data.data(MIME_TYPE).data()).decode("utf-8", "replace")
        root, _, key = raw.partition("\n")
        for top in self._root.children:
            if str(top.collection.root) == root:
                return _find(top, key) if key else None
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


def _find(node: Node, key: str) -> Node | None:
    for child in node.children:
        if child.key == key:
            return child
        if child.kind is Kind.FOLDER and key.startswith(child.key):
            found = _find(child, key)
            if found is not None:
                return found
    return None


def _is_below(node: Node, ancestor: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False
