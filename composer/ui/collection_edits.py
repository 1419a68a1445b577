"""What the collections panel does to a collection's files: open a request into the composer,
rename (typed in place), move (dragged), duplicate, delete (after asking), new request and new
folder. Every file operation runs on a worker thread through
:mod:`composer.storage.collections`; a refusal is shown in words and changes nothing; the
composer follows its request when it is renamed or moved, and keeps its text (unsaved) when
it is deleted."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.domain.collection_rules import EVENT_SUFFIX, EXPECT_SUFFIX, FOLDER_MARK
from composer.ui.collection_model import CollectionTreeModel, Kind, Node
from composer.ui.collection_panel import CollectionPanel
from composer.ui.dialogs import ask, ask_text, question, warn
from composer.ui.document import DocumentPart
from composer.ui.retired_dialog import sample_in
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:
    from composer.storage.collections import Collection, FolderItem, RequestItem

T = TypeVar("T")
NEW_REQUEST_NAME = "new request"


class CollectionEdits(QObject):
    """The panel's operations on files. ``relist(collection, select_key)`` lists a collection
    again after a change (the collections part's); ``message(text, ms)`` goes to the status
    bar."""

    message = Signal(str, int)

    def __init__(
        self,
        parent: QWidget,
        *,
        model: CollectionTreeModel,
        panel: CollectionPanel,
        document: DocumentPart,
        relist: Callable[[Collection, str | None], Awaitable[None]],
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self._model = model
        self._panel = panel
        self._document = document
        self._relist_fn = relist
        self._tasks = tasks
        model.renameRequested.connect(self.rename)
        model.moveRequested.connect(self.move)
        panel.openRequested.connect(self.open_request)
        panel.newRequestRequested.connect(self.new_request)
        panel.newFolderRequested.connect(self.new_folder)
        panel.duplicateRequested.connect(self.duplicate)
        panel.deleteRequested.connect(self.delete)

    async def _relist(self, collection: Collection, select: str | None = None) -> None:
        await self._relist_fn(collection, select)

    def open_request(self, node: Node | None) -> None:
        """Load the node's request into the composer; Save writes back to its file."""
        if node is not None and node.kind is Kind.REQUEST:
            self._document.open_request(node.collection, node.key)

    async def file_operation(self, what: str, work: Callable[..., T], *args: Any) -> T | None:
        """Run a file operation off the UI thread; a refusal is shown as ``what`` failed."""
        from composer.storage.collections import CollectionError

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
        item = await self.file_operation(
            f"Cannot rename “{node.name}”", collection.rename, node.key, new_name
        )
        if item is None:
            return False
        self._follow(collection, node.key, item.key)
        await self._relist(collection, item.key)
        self.message.emit(f"Renamed “{node.name}” to “{item.name}”.", 6000)
        return True

    def move(self, node: Node, to_folder: str, before: str | None) -> None:
        """A row was dropped: move the request or folder there (order kept in order.json)."""
        self._tasks.spawn(self.move_flow(node, to_folder, before), f"Moving {node.name}")

    async def move_flow(self, node: Node, to_folder: str, before: str | None) -> bool:
        collection = node.collection
        new_key = await self.file_operation(
            f"Cannot move “{node.name}”", collection.move, node.key, to_folder, before
        )
        if new_key is None:
            await self._relist(collection)
            return False
        self._follow(collection, node.key, new_key)
        await self._relist(collection, new_key)
        return True

    def _follow(self, collection: Collection, old: str, new: str) -> None:
        """The composer's request moved with a rename or move (of it or of its folder)."""
        request = self._document.request
        if request is None or request[0] is not collection:
            return
        key = request[1]
        if old.endswith(FOLDER_MARK) and key.startswith(old):
            self._document.follow_request(collection, new + key[len(old) :])
        elif key == old:
            self._document.follow_request(collection, new)

    def duplicate(self, node: Node | None) -> None:
        if node is not None and node.kind is Kind.REQUEST:
            self._tasks.spawn(self.duplicate_flow(node), f"Duplicating {node.name}")

    async def duplicate_flow(self, node: Node) -> RequestItem | None:
        item = await self.file_operation(
            f"Cannot duplicate “{node.name}”", node.collection.duplicate, node.key
        )
        if item is not None:
            await self._relist(node.collection, item.key)
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
        from composer.storage.collections import CollectionError

        try:
            await off_thread(collection.delete, node.key)
        except CollectionError as exc:
            warn(self._window, f"Cannot delete “{node.name}”", str(exc))
            return False
        request = self._document.request
        if request is not None and request[0] is collection:
            key = request[1]
            if key == node.key or (node.kind is Kind.FOLDER and key.startswith(node.key)):
                self._document.detach(
                    f"{key}{EVENT_SUFFIX} was deleted; the composer keeps its text, unsaved "
                    "(Save asks where to put it)."
                )
        await self._relist(collection, node.parent.key if node.parent else "")
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
        if not await self._document.may_replace_composer("starting a new request"):
            return None
        folder = node.folder_key
        taken = {n.name.casefold() for n in _folder_node_children(node)}
        from composer.ui.save_to_collection import free_name

        name = free_name(NEW_REQUEST_NAME, taken)
        text = json.dumps(sample_in(self._document.controller.revision()), indent=2) + "\n"
        item = await self.file_operation(
            "Cannot make a new request", node.collection.create_request, folder, name, text
        )
        if item is None:
            return None
        await self._relist(node.collection, item.key)
        await self._document.open_request_flow(node.collection, item.key)
        self._panel.rename()
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
        item = await self.file_operation(
            "Cannot make the folder", node.collection.create_folder, node.folder_key, name
        )
        if item is not None:
            await self._relist(node.collection, item.key)
        return item

    def _first_collection(self) -> Node | None:
        return self._model.node(self._model.index(0, 0)) if self._model.rowCount() else None


def _folder_node_children(node: Node) -> list[Node]:
    folder = node if node.kind is not Kind.REQUEST else node.parent
    return list(folder.children) if folder is not None else []


def _below(node: Node) -> list[Node]:
    out: list[Node] = []
    for child in node.children:
        out.append(child)
        out.extend(_below(child))
    return out
