"""The window's side of collections: open and close them (remembered in the settings), list
them in the side panel, and do what the panel asks (open a request into the composer, rename,
move, duplicate, delete, new request or folder, Save to collection). Every file operation runs
on a worker thread through :mod:`composer.storage.collections`; the panel then shows the
collection as it is on disk now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QWidget

from composer.domain.collection_rules import FOLDER_MARK
from composer.storage.settings import SettingsStore
from composer.ui.collection_edits import CollectionEdits
from composer.ui.collection_model import CollectionTreeModel, Kind, Node
from composer.ui.collection_panel import CollectionPanel
from composer.ui.dialogs import ask_folder, run_dialog, warn
from composer.ui.document import DocumentPart
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:  # loaded with the first collection, after the window is on screen
    from composer.services.collection_outline import CollectionOutline
    from composer.storage.collections import Collection, OpenCollections, RequestItem
    from composer.ui.save_to_collection import FolderChoice

T = TypeVar("T")
NEW_REQUEST_NAME = "new request"


class CollectionsPart(QObject):
    """Binds ``panel`` (over ``model``) to ``collections``, the composer's ``document`` and
    the ``settings`` (which collections are open). ``message(text, ms)`` goes to the status
    bar; ``shown(bool)`` asks the window to show (or hide) the panel; ``listed(collection)``
    fires after a collection was listed afresh."""

    message = Signal(str, int)
    showPanel = Signal()
    listed = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        *,
        model: CollectionTreeModel,
        panel: CollectionPanel,
        document: DocumentPart,
        settings: SettingsStore,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self._collections: OpenCollections | None = None
        self.model = model
        self.panel = panel
        self.document = document
        self._settings = settings
        self._tasks = tasks
        self.edits = CollectionEdits(
            parent, model=model, panel=panel, document=document, relist=self.relist, tasks=tasks
        )
        self.edits.message.connect(self.message)
        model.refused.connect(lambda text: self.message.emit(text, 10000))
        panel.openCollectionRequested.connect(self.open_collection_dialog)
        panel.closeRequested.connect(self.close_collection)
        panel.reloadRequested.connect(self.reload_node)
        panel.saveHereRequested.connect(self.save_here)
        document.saved.connect(self._after_save)

    def has_collections(self) -> bool:
        """True when a collection is open (without loading the collections' code)."""
        return self._collections is not None and len(self._collections) > 0

    @property
    def collections(self) -> OpenCollections:
        """The open collections (made with the first: the window paints without them); the
        document saves a request of one through it."""
        if self._collections is None:
            from composer.storage.collections import OpenCollections

            self._collections = OpenCollections()
            self.document.collections = self._collections
        return self._collections

    # -- open, close, remember -------------------------------------------------------------------

    def start(self) -> None:
        """Open the collections the settings remember (after the first paint), and list them
        afresh whenever the app comes back to the front (a `git pull` or an editor may have
        changed the files meanwhile)."""
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._app_state_changed)
        paths = list(self._settings.settings.collections)
        if paths:
            self._tasks.spawn(self._open_remembered(paths), "Opening the collections")

    async def _open_remembered(self, paths: list[str]) -> None:
        missing = []
        for path in paths:
            try:
                await self._open(Path(path), remember=False)
            except _collection_error() as exc:
                missing.append(str(exc))
        if missing:
            self.message.emit(
                "Not opened (the settings keep them; File ▸ Open collection… opens another): "
                + "; ".join(missing),
                20000,
            )

    def open_collection_dialog(self) -> None:
        """File ▸ Open collection…: pick a folder, show it as a new top-level row."""
        self._tasks.spawn(self._open_collection_dialog(), "Opening a collection")

    async def _open_collection_dialog(self) -> Collection | None:
        path = await ask_folder(self._window, "Open a collection folder", name="collectionDialog")
        if path is None:
            return None
        return await self.open_collection_flow(path)

    def open_collection(self, path: Path) -> None:
        self._tasks.spawn(self.open_collection_flow(path), f"Opening {path.name}")

    async def open_collection_flow(self, path: Path) -> Collection | None:
        """Open the folder ``path`` as a collection; None (and a message) when it cannot be."""
        try:
            return await self._open(path, remember=True)
        except _collection_error() as exc:
            warn(self._window, "Cannot open the collection", str(exc))
            return None

    async def _open(self, path: Path, *, remember: bool) -> Collection:
        collection = await off_thread(self.collections.open, path)
        listing = await off_thread(_read_outline, collection)
        self._show(listing)
        if remember:  # opened now by the user (at start-up the panel is as it was left)
            self.showPanel.emit()
        top = self.model.index_of(collection, "")
        node = self.model.node(top)
        if node is not None:
            self.panel.expand_collection(node)
        if remember:
            root = str(collection.root)
            await off_thread(self._settings.modify, lambda s: s.with_collection(root))
            self.panel.select(top)
            self.message.emit(_opened_text(listing), 10000)
        return collection

    def close_collection(self, node: Node | None) -> None:
        """Close the node's collection (its files stay; the settings forget it)."""
        if node is not None:
            self._tasks.spawn(self._close(node.collection), f"Closing {node.collection.name}")

    async def _close(self, collection: Collection) -> None:
        self.collections.close(collection)
        self.model.remove_collection(collection)
        root = str(collection.root)
        await off_thread(self._settings.modify, lambda s: s.without_collection(root))
        self.message.emit(f"Closed {collection.name} (its files are as they were).", 6000)

    # -- listing -----------------------------------------------------------------------------------

    def _show(self, listing: CollectionOutline) -> None:
        self.model.set_listing(listing)
        self.listed.emit(listing.collection)

    async def relist(self, collection: Collection, select: str | None = None) -> None:
        """List ``collection`` again (after a change) and make ``select`` the current row."""
        try:
            listing = await off_thread(_read_outline, collection)
        except _collection_error() as exc:
            self.message.emit(str(exc), 15000)
            return
        current = self.panel.current_node()
        self._show(listing)
        if select is not None:
            self.panel.select(self.model.index_of(collection, select))
        elif current is not None:
            self.panel.select(self.model.index_of(current.collection, current.key))

    def _app_state_changed(self, state: Qt.ApplicationState) -> None:
        editing = self.panel.tree.state() == QAbstractItemView.State.EditingState
        if state != Qt.ApplicationState.ApplicationActive or editing:
            return
        for collection in self.model.collections():
            self._tasks.spawn(self.relist(collection), f"Reading {collection.name}")

    def reload_node(self, node: Node | None) -> None:
        if node is not None:
            self._tasks.spawn(self.relist(node.collection), f"Reading {node.collection.name}")

    def _after_save(self, _path: Path) -> None:
        if self.document.request is not None:
            collection, key = self.document.request
            self._tasks.spawn(self.relist(collection, key), "Listing the collection")

    # -- Save to collection ----------------------------------------------------------------------

    def save_to_collection(self) -> None:
        """File ▸ Save to collection…: the composer's text as a new request in a folder."""
        self._tasks.spawn(self.save_to_collection_flow(self.panel.current_node()), "Saving")

    def save_here(self, node: Node | None) -> None:
        self._tasks.spawn(self.save_to_collection_flow(node), "Saving")

    async def save_to_collection_flow(self, node: Node | None) -> RequestItem | None:
        if not self.model.rowCount():
            # no collection yet: the folder chosen becomes one
            path = await ask_folder(
                self._window,
                "Choose or make the folder of a new collection",
                name="collectionDialog",
            )
            if path is None:
                return None
            if await self.open_collection_flow(path) is None:
                return None
        choices = folder_choices(self.model)
        current = 0
        if node is not None:
            for i, choice in enumerate(choices):
                if choice.collection is node.collection and choice.folder_key == node.folder_key:
                    current = i
        from composer.ui.save_to_collection import SaveToCollectionDialog

        dialog = SaveToCollectionDialog(
            self._window, choices, current=current, name=self._suggested_name()
        )
        try:
            if not await run_dialog(dialog):
                return None
            choice, name = dialog.choice(), dialog.request_name()
        finally:
            dialog.deleteLater()
        text = self.document.controller.text()
        item = await self.edits.file_operation(
            "Cannot save to the collection",
            choice.collection.create_request,
            choice.folder_key,
            name,
            text,
        )
        if item is None:
            return None
        self.document.controller.mark_saved()
        self.document.follow_request(choice.collection, item.key)
        await self.relist(choice.collection, item.key)
        self.message.emit(
            f"Saved as {item.event_file} in {choice.collection.name}; Save (Ctrl+S) writes "
            "later changes to it.",
            10000,
        )
        return item

    def _suggested_name(self) -> str:
        """The metric's name as a file name (``Placed Order`` -> ``placed-order``), in either
        layout (``metric.name`` or ``metric.data.attributes.name``)."""
        from composer.storage.records import describe_body

        text = self.document.controller.text()
        metric, _profile, _text = describe_body(text.encode("utf-8", "surrogatepass"))
        metric = metric if isinstance(metric, str) else None
        words = "".join(c if c.isalnum() else " " for c in (metric or "").lower()).split()
        return "-".join(words)[:60]


def folder_choices(model: CollectionTreeModel) -> list[FolderChoice]:
    """Every folder of every open collection, as the Save to collection dialog lists them."""
    from composer.ui.save_to_collection import FolderChoice

    out = []
    for node in model.nodes():
        if node.kind is Kind.REQUEST:
            continue
        path = node.key.rstrip(FOLDER_MARK).replace(FOLDER_MARK, " / ")
        label = node.collection.name + (f" / {path}" if path else "")
        taken = frozenset(c.name.casefold() for c in node.children if c.kind is Kind.REQUEST)
        out.append(FolderChoice(node.collection, node.key, label, taken))
    return out


def _opened_text(listing: CollectionOutline) -> str:
    count = sum(1 for _ in listing.tree.root.requests())
    text = f"Opened {listing.collection.name}: {count} request{'s' * (count != 1)}"
    if listing.tree.problems:
        shown = "; ".join(str(p) for p in listing.tree.problems[:3])
        text += f"; not used: {shown}"
    return text + "."


def _collection_error() -> type[Exception]:
    """CollectionError, loaded with the first collection (the window paints without it)."""
    from composer.storage.collections import CollectionError

    return CollectionError


def _read_outline(collection: Collection) -> CollectionOutline:
    from composer.services.collection_outline import read_outline

    return read_outline(collection)
