"""The window's side of collections: open and close them (remembered in the settings), list
them in the side panel, and do what the panel asks (open a request into the composer, rename,
move, duplicate, delete, new request or folder, Save to collection). Every file operation runs
on a worker thread through :mod:`composer.storage.collections`; the panel then shows the
collection as it is on disk now."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.domain.collection_rules import EVENT_SUFFIX, EXPECT_SUFFIX, FOLDER_MARK
from composer.services.collection_listing import CollectionListing, list_collection
from composer.storage.collections import (
    Collection,
    CollectionError,
    FolderItem,
    OpenCollections,
    RequestItem,
)
from composer.storage.settings import SettingsStore
from composer.ui.collection_model import CollectionTreeModel, Kind, Node
from composer.ui.collection_panel import CollectionPanel
from composer.ui.dialogs import ask, ask_folder, ask_text, question, run_dialog, warn
from composer.ui.document import DocumentPart
from composer.ui.retired_dialog import sample_in
from composer.ui.save_to_collection import FolderChoice, SaveToCollectionDialog
from composer.ui.tasks import TaskRunner, off_thread

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
        collections: OpenCollections,
        model: CollectionTreeModel,
        panel: CollectionPanel,
        document: DocumentPart,
        settings: SettingsStore,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self.collections = collections
        self.model = model
        self.panel = panel
        self.document = document
        self._settings = settings
        self._tasks = tasks
        model.renameRequested.connect(self.rename)
        model.moveRequested.connect(self.move)
        model.refused.connect(lambda text: self.message.emit(text, 10000))
        panel.openCollectionRequested.connect(self.open_collection_dialog)
        panel.openRequested.connect(self.open_request)
        panel.newRequestRequested.connect(self.new_request)
        panel.newFolderRequested.connect(self.new_folder)
        panel.duplicateRequested.connect(self.duplicate)
        panel.deleteRequested.connect(self.delete)
        panel.closeRequested.connect(self.close_collection)
        panel.reloadRequested.connect(self.reload_node)
        panel.saveHereRequested.connect(self.save_here)
        document.saved.connect(self._after_save)

    # -- open, close, remember -------------------------------------------------------------------

    def start(self) -> None:
        """Open the collections the settings remember (after the first paint)."""
        paths = list(self._settings.settings.collections)
        if paths:
            self._tasks.spawn(self._open_remembered(paths), "Opening the collections")

    async def _open_remembered(self, paths: list[str]) -> None:
        missing = []
        for path in paths:
            try:
                await self._open(Path(path), remember=False)
            except CollectionError as exc:
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
        except CollectionError as exc:
            warn(self._window, "Cannot open the collection", str(exc))
            return None

    async def _open(self, path: Path, *, remember: bool) -> Collection:
        collection = await off_thread(self.collections.open, path)
        listing = await off_thread(list_collection, collection)
        self._show(listing)
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

    def _show(self, listing: CollectionListing) -> None:
        self.model.set_listing(listing)
        self.listed.emit(listing.collection)

    async def relist(self, collection: Collection, select: str | None = None) -> None:
        """List ``collection`` again (after a change) and make ``select`` the current row."""
        try:
            listing = await off_thread(list_collection, collection)
        except CollectionError as exc:
            self.message.emit(str(exc), 15000)
            return
        current = self.panel.current_node()
        self._show(listing)
        if select is not None:
            self.panel.select(self.model.index_of(collection, select))
        elif current is not None:
            self.panel.select(self.model.index_of(current.collection, current.key))

    def reload_node(self, node: Node | None) -> None:
        if node is not None:
            self._tasks.spawn(self.relist(node.collection), f"Reading {node.collection.name}")

    def _after_save(self, _path: Path) -> None:
        if self.document.request is not None:
            collection, key = self.document.request
            self._tasks.spawn(self.relist(collection, key), "Listing the collection")

    # -- requests ----------------------------------------------------------------------------------

    def open_request(self, node: Node | None) -> None:
        """Load the node's request into the composer; Save writes back to its file."""
        if node is not None and node.kind is Kind.REQUEST:
            self.document.open_request(node.collection, node.key)

    async def _do(self, what: str, work: Callable[..., T], *args: Any) -> T | None:
        """Run a file operation off the UI thread; a refusal is shown as ``what`` failed."""
        try:
            return await off_thread(work, *args)
        except CollectionError as exc:
            warn(self._window, what, str(exc))
            return None

    def rename(self, node: Node, new_name: str) -> None:
        """Rename a request (its body and expectations) or a folder, typed in place."""
        self._tasks.spawn(self.rename_flow(node, new_name), f"Renaming {node.name}")

    async def rename_flow(self, node: Node, new_name: str) -> bool:
        collection = node.collection
        item = await self._do(f"Cannot rename “{node.name}”", collection.rename, node.key, new_name)
        if item is None:
            return False
        self._follow(collection, node.key, item.key)
        await self.relist(collection, item.key)
        self.message.emit(f"Renamed “{node.name}” to “{item.name}”.", 6000)
        return True

    def move(self, node: Node, to_folder: str, before: str | None) -> None:
        """A row was dropped: move the request or folder there (order kept in order.json)."""
        self._tasks.spawn(self.move_flow(node, to_folder, before), f"Moving {node.name}")

    async def move_flow(self, node: Node, to_folder: str, before: str | None) -> bool:
        collection = node.collection
        new_key = await self._do(
            f"Cannot move “{node.name}”", collection.move, node.key, to_folder, before
        )
        if new_key is None:
            await self.relist(collection)
            return False
        self._follow(collection, node.key, new_key)
        await self.relist(collection, new_key)
        return True

    def _follow(self, collection: Collection, old: str, new: str) -> None:
        """The composer's request moved with a rename or move (of it or of its folder)."""
        request = self.document.request
        if request is None or request[0] is not collection:
            return
        key = request[1]
        if old.endswith(FOLDER_MARK) and key.startswith(old):
            self.document.follow_request(collection, new + key[len(old) :])
        elif key == old:
            self.document.follow_request(collection, new)

    def duplicate(self, node: Node | None) -> None:
        if node is not None and node.kind is Kind.REQUEST:
            self._tasks.spawn(self.duplicate_flow(node), f"Duplicating {node.name}")

    async def duplicate_flow(self, node: Node) -> RequestItem | None:
        item = await self._do(
            f"Cannot duplicate “{node.name}”", node.collection.duplicate, node.key
        )
        if item is not None:
            await self.relist(node.collection, item.key)
            self.message.emit(f"Duplicated “{node.name}” as “{item.name}”.", 6000)
        return item

    def delete(self, node: Node | None) -> None:
        if node is not None and node.kind is not Kind.COLLECTION:
            self._tasks.spawn(self.delete_flow(node), f"Deleting {node.name}")

    async def delete_flow(self, node: Node) -> bool:
        """Ask, then delete the request's files (or the folder); the composer keeps a deleted
        request's text as unsaved."""
        if node.kind is Kind.FOLDER:
            count = sum(1 for n in _below(node) if n.kind is Kind.REQUEST)
            text = (
                f"Delete the folder “{node.name}” and the {count} request"
                f"{'s' * (count != 1)} in it from {node.collection.name}?\n\nThe files are "
                "removed from the disk (git keeps what was committed). A folder holding any "
                "other file is not deleted."
            )
        else:
            files = node.key + EVENT_SUFFIX
            if node.badge:
                files += f" and {node.key}{EXPECT_SUFFIX}"
            text = (
                f"Delete the request “{node.name}” from {node.collection.name}?\n\n"
                f"{files} {'are' if node.badge else 'is'} removed from the disk (git keeps "
                "what was committed)."
            )
        box = question(self._window, "confirmDelete", "Delete", text, QMessageBox.Icon.Warning)
        delete = box.addButton("&Delete", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        if await ask(box) is not delete:
            return False
        collection = node.collection
        try:
            await off_thread(collection.delete, node.key)
        except CollectionError as exc:
            warn(self._window, f"Cannot delete “{node.name}”", str(exc))
            return False
        request = self.document.request
        if request is not None and request[0] is collection:
            key = request[1]
            if key == node.key or (node.kind is Kind.FOLDER and key.startswith(node.key)):
                self.document.detach(
                    f"{key}{EVENT_SUFFIX} was deleted; the composer keeps its text, unsaved "
                    "(Save asks where to put it)."
                )
        await self.relist(collection, node.parent.key if node.parent else "")
        self.message.emit(f"Deleted “{node.name}” from {collection.name}.", 8000)
        return True

    def new_request(self, node: Node | None) -> None:
        """A new request (the sample event) in the node's folder, opened in the composer,
        its name ready to type."""
        self._tasks.spawn(self.new_request_flow(node), "New request")

    async def new_request_flow(self, node: Node | None) -> RequestItem | None:
        node = node or self._first_collection()
        if node is None:
            self.message.emit("Open a collection first (File ▸ Open collection…).", 8000)
            return None
        if not await self.document.may_replace_composer("starting a new request"):
            return None
        folder = node.folder_key
        taken = {n.name.casefold() for n in _folder_node_children(self.model, node)}
        name = _free_name(NEW_REQUEST_NAME, taken)
        text = json.dumps(sample_in(self.document.controller.revision()), indent=2) + "\n"
        item = await self._do(
            "Cannot make a new request", node.collection.create_request, folder, name, text
        )
        if item is None:
            return None
        await self.relist(node.collection, item.key)
        await self.document.open_request_flow(node.collection, item.key)
        self.panel.rename()
        return item

    def new_folder(self, node: Node | None) -> None:
        if node is not None:
            self._tasks.spawn(self.new_folder_flow(node), "New folder")

    async def new_folder_flow(self, node: Node) -> FolderItem | None:
        name = await ask_text(
            self._window,
            "New folder",
            f"Name of the new folder in {node.folder_key or node.collection.name}:",
            name="newFolderDialog",
        )
        if name is None:
            return None
        item = await self._do(
            "Cannot make the folder", node.collection.create_folder, node.folder_key, name
        )
        if item is not None:
            await self.relist(node.collection, item.key)
        return item

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
        item = await self._do(
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
        draft = self.document.controller.draft()
        metric = getattr(draft, "metric", None) if draft is not None else None
        name = metric if isinstance(metric, str) else ""
        return "".join(c if c.isalnum() or c in " -_" else "-" for c in name).strip(" -")[:60]

    def _first_collection(self) -> Node | None:
        return self.model.node(self.model.index(0, 0)) if self.model.rowCount() else None


def folder_choices(model: CollectionTreeModel) -> list[FolderChoice]:
    """Every folder of every open collection, as the Save to collection dialog lists them."""
    out = []
    for node in model.nodes():
        if node.kind is Kind.REQUEST:
            continue
        path = node.key.rstrip(FOLDER_MARK).replace(FOLDER_MARK, " / ")
        label = node.collection.name + (f" / {path}" if path else "")
        taken = frozenset(c.name.casefold() for c in node.children if c.kind is Kind.REQUEST)
        out.append(FolderChoice(node.collection, node.key, label, taken))
    return out


def _folder_node_children(model: CollectionTreeModel, node: Node) -> list[Node]:
    folder = node if node.kind is not Kind.REQUEST else node.parent
    return list(folder.children) if folder is not None else []


def _below(node: Node) -> list[Node]:
    out: list[Node] = []
    for child in node.children:
        out.append(child)
        out.extend(_below(child))
    return out


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name.casefold() in taken:
        name = f"{base} {n}"
        n += 1
    return name


def _opened_text(listing: CollectionListing) -> str:
    count = sum(1 for _ in listing.tree.root.requests())
    text = f"Opened {listing.collection.name}: {count} request{'s' * (count != 1)}"
    if listing.tree.problems:
        shown = "; ".join(str(p) for p in listing.tree.problems[:3])
        text += f"; not used: {shown}"
    return text + "."
