"""The collections side panel: the open collections as a tree (folders, requests, each
request's expectation as a small badge), a filter, and what can be done with a row (open,
run, rename in place, duplicate, delete, new request or folder, close a collection) from the
context menu, the panel's buttons and the keyboard (Enter opens, F2 renames, Delete deletes).

The panel only says what the user asked for (signals carrying the row's
:class:`~composer.services.collection_rows.Node`); the collections part does it.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.ui.collection_model import (
    CollectionTreeModel,
    Kind,
    Node,
)
from composer.ui.collection_tree_view import (
    EMPTY_TEXT,
    NO_MATCH_TEXT,
    BadgeDelegate,
    CollectionTree,
)

_Index = QModelIndex | QPersistentModelIndex


class CollectionPanel(QWidget):
    """The side panel over ``model``. Every signal but ``openCollectionRequested`` and
    ``foldRequested`` carries the :class:`Node` it concerns (None: no row chosen)."""

    openCollectionRequested = Signal()
    openRequested = Signal(object)
    runRequested = Signal(object)
    newRequestRequested = Signal(object)
    newFolderRequested = Signal(object)
    duplicateRequested = Signal(object)
    deleteRequested = Signal(object)
    closeRequested = Signal(object)
    reloadRequested = Signal(object)
    saveHereRequested = Signal(object)
    foldRequested = Signal()
    shownChanged = Signal(bool)
    """The window showed or hid the panel (View ▸ Collections follows)."""

    def __init__(self, model: CollectionTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionPanel")
        self.setAccessibleName("Collections")
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        title = QLabel("Collections")
        title.setObjectName("paneTitle")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.open_button = self._tool(
            "Open a collection folder (Ctrl+Shift+O)",
            None,
            self.openCollectionRequested.emit,
            "openCollectionButton",
        )
        self.new_button = self._tool(
            "New request in the chosen folder",
            None,
            lambda: self.newRequestRequested.emit(self.current_node()),
            "newRequestButton",
        )
        self.run_button = self._tool(
            "Run the chosen folder, or the whole collection, and check every expectation",
            None,  # text, not the style's icon: readable in the dark theme too
            self.run_current,
            "runButton",
            text="▶ Run",
        )
        self.fold_button = self._tool(
            "Hide the collections (View ▸ Collections, Ctrl+Shift+L)",
            None,
            self.foldRequested.emit,
            "foldCollectionsButton",
            text="◂",
        )
        self.open_button.setText("Open…")
        self.new_button.setText("+ New")
        top = QHBoxLayout()
        top.setSpacing(2)
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.fold_button)
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for button in (self.open_button, self.new_button, self.run_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter requests…")
        self.filter.setAccessibleName("Filter requests")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)

        self.tree = CollectionTree()
        self.tree.setObjectName("collectionTree")
        self.tree.setAccessibleName("Collection requests")
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setItemDelegate(BadgeDelegate(self.tree))
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setDragEnabled(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.doubleClicked.connect(self._activated)
        self.tree.activatedByKey.connect(self._activated)
        self.tree.deleteByKey.connect(lambda i: self.deleteRequested.emit(self._node_at(i)))
        self.tree.duplicateByKey.connect(lambda i: self.duplicateRequested.emit(self._node_at(i)))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 2, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        self.setMinimumWidth(180)
        model.modelReset.connect(self._after_reset)
        model.rowsRemoved.connect(lambda *_: self._update_placeholder())
        self._expanded: set[tuple[str, str]] = set()
        self.tree.expanded.connect(lambda i: self._remember(i, True))
        self.tree.collapsed.connect(lambda i: self._remember(i, False))
        self._update_placeholder()

    def _tool(
        self, tip: str, icon: object, slot: object, name: str, *, text: str = ""
    ) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        if icon is not None:
            button.setIcon(icon)  # type: ignore[arg-type]
        if text:
            button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (", maxsplit=1)[0])
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- rows ----------------------------------------------------------------------------------

    def _node_at(self, index: _Index) -> Node | None:
        if not index.isValid():
            return None
        if index.model() is self.proxy:
            index = self.proxy.mapToSource(index)
        return self.model.node(index)

    def current_node(self) -> Node | None:
        """The chosen row's node (None when nothing is chosen)."""
        return self._node_at(self.tree.currentIndex())

    def select(self, node_or_index: Node | QModelIndex) -> None:
        """Make a row current and visible (its folders expanded)."""
        index = node_or_index
        if isinstance(index, Node):
            index = self.model.index_of(index.collection, index.key)
        view_index = self.proxy.mapFromSource(index)
        if not view_index.isValid():
            return
        parent = view_index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(view_index)
        self.tree.scrollTo(view_index)

    def rename(self, node: Node | None = None) -> None:
        """Start renaming ``node`` (the chosen row) in place."""
        node = node or self.current_node()
        if node is None or node.kind is Kind.COLLECTION:
            return
        self.select(node)
        self.tree.edit(self.tree.currentIndex())

    def _activated(self, index: QModelIndex) -> None:
        node = self._node_at(index)
        if node is not None and node.kind is Kind.REQUEST:
            self.openRequested.emit(node)
        elif node is not None and index.isValid():
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    def run_current(self) -> None:
        """Run the chosen row (its folder, collection or request), or the only collection."""
        node = self.current_node()
        if node is None and self.model.rowCount() == 1:
            node = self.model.node(self.model.index(0, 0))
        self.runRequested.emit(node)

    # -- the context menu ------------------------------------------------------------------------

    def menu_for(self, node: Node | None) -> QMenu:
        """The context menu of a row (or of the empty area), as it is shown."""
        menu = QMenu(self)
        menu.setObjectName("collectionMenu")

        def add(text: str, signal: object, shortcut: str = "", name: str = "") -> QAction:
            action = menu.addAction(text)
            action.triggered.connect(lambda _c=False: signal.emit(node))  # type: ignore[attr-defined]
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setObjectName(name)
            return action

        if node is None:
            open_action = menu.addAction("Open collection…")
            open_action.triggered.connect(lambda _c=False: self.openCollectionRequested.emit())
            return menu
        if node.kind is Kind.REQUEST:
            add("Open in the composer", self.openRequested, "Return", "openRequest")
            add("Run this request", self.runRequested, name="runRequest")
        else:
            what = "collection" if node.kind is Kind.COLLECTION else "folder"
            add(f"Run this {what}", self.runRequested, name="runFolder")
            menu.addSeparator()
            add("New request here", self.newRequestRequested, name="newRequest")
            add("Save the composer's event here…", self.saveHereRequested, name="saveHere")
            add("New folder…", self.newFolderRequested, name="newFolder")
        menu.addSeparator()
        if node.kind is not Kind.COLLECTION:
            rename = menu.addAction("Rename")
            rename.setObjectName("rename")
            rename.setShortcut(QKeySequence("F2"))
            rename.triggered.connect(lambda _c=False: self.rename(node))
        if node.kind is Kind.REQUEST:
            add("Duplicate", self.duplicateRequested, "Ctrl+D", "duplicate")
        if node.kind is not Kind.COLLECTION:
            add("Delete…", self.deleteRequested, "Delete", "delete")
        else:
            add("Reload from disk", self.reloadRequested, name="reload")
            add("Close collection", self.closeRequested, name="closeCollection")
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        menu = self.menu_for(self._node_at(index))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    # -- filter and expansion --------------------------------------------------------------------

    def _apply_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        # a filtered tree shows every match; dragging is for the whole tree
        filtering = bool(text.strip())
        self.tree.setDragEnabled(not filtering)
        if filtering:
            self.tree.expandAll()
        else:
            self._restore_expansion()
        self._update_placeholder()

    def _remember(self, index: QModelIndex, expanded: bool) -> None:
        if self.filter.text().strip():
            return  # expandAll of a filter is not the user's choice
        node = self._node_at(index)
        if node is None:
            return
        key = (str(node.collection.root), node.key)
        if expanded:
            self._expanded.add(key)
        else:
            self._expanded.discard(key)

    def expand_collection(self, node: Node) -> None:
        """Show a newly opened collection's first level."""
        self._expanded.add((str(node.collection.root), node.key))
        self._restore_expansion()

    def _after_reset(self) -> None:
        if self.filter.text().strip():
            self.tree.expandAll()
        else:
            self._restore_expansion()
        self._update_placeholder()

    def _restore_expansion(self) -> None:
        for node in self.model.nodes():
            if node.kind is Kind.REQUEST:
                continue
            if (str(node.collection.root), node.key) in self._expanded:
                index = self.proxy.mapFromSource(self.model.index_of(node.collection, node.key))
                if index.isValid():
                    self.tree.setExpanded(index, True)

    def _update_placeholder(self) -> None:
        self.tree.set_placeholder(
            NO_MATCH_TEXT if self.model.rowCount() and self.filter.text().strip() else EMPTY_TEXT
        )
