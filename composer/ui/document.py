"""The document the composer holds: New, Open, Save, Save as, recent files, templates, import
into the history, drops, and the one question asked before unsaved text is replaced."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from composer.storage.event_files import (
    EventFileError,
    read_event,
    templates,
    write_event_file,
)
from composer.storage.history import HistoryStore
from composer.storage.settings import SettingsStore
from composer.ui.dialogs import ask, ask_open_path, ask_save_path, question, warn
from composer.ui.editor import ComposerController
from composer.ui.retired_dialog import revision_for_text, sample_in, template_in
from composer.ui.shortcuts import shortcut_for
from composer.ui.tasks import TaskRunner, off_thread

if TYPE_CHECKING:
    from composer.storage.collections import Collection, OpenCollections

EVENT_FILTER = "Event JSON (*.json);;All files (*)"
IMPORT_FILTER = "Requests (*.ndjson *.jsonl *.har *.json);;All files (*)"


class DocumentPart(QObject):
    """File handling for the window ``parent``: what file the composer's text belongs to,
    and every way to replace, save or import it. ``message(text, ms)`` goes to the status
    bar; ``historyChanged`` fires after an import added entries; ``titleChanged`` whenever
    the file or its modified state changes."""

    message = Signal(str, int)
    historyChanged = Signal()
    titleChanged = Signal()
    saved = Signal(object)
    """A file was written (the collections panel lists its collection again)."""

    def __init__(
        self,
        parent: QWidget,
        *,
        controller: ComposerController,
        settings: SettingsStore,
        history: HistoryStore,
        tasks: TaskRunner,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.collections: OpenCollections | None = None
        """The open collections (set by the collections part when it opens the first): a
        file inside one saves back through it."""
        self._window = parent
        self.controller = controller
        self._settings = settings
        self._history = history
        self.file: Path | None = None
        self.request: tuple[Collection, str] | None = None
        """The collection request the text belongs to (saved back through the collection,
        byte for byte), or None."""
        self.recent_menu: QMenu | None = None
        self.templates_menu: QMenu | None = None
        modified = getattr(controller, "modifiedChanged", None)
        if modified is not None:
            modified.connect(lambda _m: self.titleChanged.emit())

    # -- menu ----------------------------------------------------------------------------------

    def _action(
        self, text: str, slot: object, shortcut: QKeySequence.StandardKey | str | None = None
    ) -> QAction:
        action = QAction(text, self._window)
        if shortcut is not None:
            action.setShortcut(shortcut_for(shortcut))
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def fill_file_menu(self, menu: QMenu) -> None:
        """New, templates, Open, recent files, Save, Save as and Import, in that order."""
        self.new_action = self._action("&New event", self.new_event, QKeySequence.StandardKey.New)
        menu.addAction(self.new_action)
        self.templates_menu = menu.addMenu("New from &template")
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        menu.addAction(self.open_action)
        self.recent_menu = menu.addMenu("Open &recent")
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save)
        menu.addAction(self.save_action)
        self.save_as_action = self._action(
            "Save &as…", self.save_as, QKeySequence.StandardKey.SaveAs
        )
        menu.addAction(self.save_as_action)
        menu.addSeparator()
        self.import_action = self._action("&Import requests (NDJSON, HAR)…", self.import_dialog)
        self.import_action.setObjectName("importRequests")
        menu.addAction(self.import_action)

    def fill_menus(self) -> None:
        """The templates and the recent files (it reads folders: after the first paint)."""
        if self.templates_menu is not None and not self.templates_menu.actions():
            for tpl in templates():
                act = self.templates_menu.addAction(tpl.title)
                act.triggered.connect(
                    lambda _c=False, p=tpl.path: self.open_path(p, as_template=True)
                )
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        if self.recent_menu is None:
            return
        recent = self._settings.settings.recent_files
        self.recent_menu.clear()
        for item in recent:
            act = self.recent_menu.addAction(item)
            act.triggered.connect(lambda _c=False, p=item: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(recent))

    def title(self) -> str:
        """The request's name and collection, the file's name, or "Untitled event"."""
        if self.request is not None:
            collection, key = self.request
            return f"{key} ({collection.name})"
        return self.file.name if self.file else "Untitled event"

    def adopt_file(self, path: Path) -> None:
        """The composer holds ``path``'s text already (read before the window painted): the
        text belongs to that file now, and it joins the recent files."""
        self.set_file(path)
        self._tasks.spawn(self._remember_recent(path), "Remembering a recent file")
        self.message.emit(f"Opened {path.name}.", 5000)

    def set_file(self, path: Path | None) -> None:
        """The text now belongs to ``path`` (None: to no file); a request file of an open
        collection saves back through its collection."""
        self.file = path
        self.request = None if path is None else self._owner_of(path)
        self.titleChanged.emit()

    def _owner_of(self, path: Path) -> tuple[Collection, str] | None:
        return None if self.collections is None else self.collections.owner_of(path)

    def follow_request(self, collection: Collection, key: str) -> None:
        """The open request was renamed or moved to ``key`` (the text stays as it is)."""
        self.request = (collection, key)
        self.file = collection.root.joinpath(*f"{key}.event.json".split("/"))
        self.titleChanged.emit()

    def detach(self, why: str) -> None:
        """The file of the text is gone (deleted): the text stays in the composer, belongs to
        no file and counts as unsaved, so nothing is lost on closing."""
        self.file = None
        self.request = None
        self.controller.mark_unsaved()
        self.titleChanged.emit()
        self.message.emit(why, 10000)

    def open_request(self, collection: Collection, key: str) -> None:
        """Load a collection's request into the composer (asking first about unsaved text);
        Save writes it back to its file."""
        self._tasks.spawn(self.open_request_flow(collection, key), f"Opening {key}")

    async def open_request_flow(self, collection: Collection, key: str) -> bool:
        """:meth:`open_request`, awaited; True when the request is in the composer."""
        if self.request == (collection, key) and not self.controller.is_modified:
            return True
        if not await self.may_replace_composer(f"opening {key}"):
            return False
        from composer.storage.collections import CollectionError

        try:
            request = await off_thread(collection.read_request, key)
        except CollectionError as exc:
            warn(self._window, "Cannot open the request", str(exc))
            return False
        self.controller.load_text(request.text)
        self.adopt_revision(None)
        self.controller.mark_saved()
        self.follow_request(collection, key)
        self.message.emit(f"Opened {key} from {collection.name}.", 5000)
        return True

    # -- the question before replacing ---------------------------------------------------------

    async def may_replace_composer(self, doing: str) -> bool:
        """True when the composer's text may be replaced: it has no unsaved changes, or the
        user saved them or chose to discard them. ``doing`` names what replaces it."""
        if not self.controller.is_modified:
            return True
        name = f"“{self.file.name}”" if self.file else "The event in the composer"
        box = question(
            self._window,
            "confirmDiscard",
            "Unsaved changes",
            f"{name} has changes that are not saved.\n\nSave them before {doing}?",
        )
        save = box.addButton("&Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("&Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        clicked = await ask(box)
        if clicked is discard:
            return True
        if clicked is save:
            path = self.file or await self._ask_save_path()
            return path is not None and await self._save(path)
        return False

    def load_unsaved(self, text: str, revision: str | None = None) -> None:
        """Put ``text`` (from the history, an import) in the composer, belonging to no file;
        ``revision``: the one it was recorded with (else the picker follows its layout)."""
        self.controller.load_text(text)
        self.adopt_revision(revision)
        self.set_file(None)

    def adopt_revision(self, recorded: str | None) -> None:
        """A loaded event keeps its text: the picker follows it (the recorded revision, else
        a revision of the loaded body's shape), with no conversion."""
        name = revision_for_text(self.controller.text(), self.controller.revision(), recorded)
        if name != self.controller.revision():
            self.controller.set_revision(name)  # the picker follows: revisionChanged
            self.message.emit(f"Revision {name}: the loaded event's layout.", 8000)

    # -- new, open -------------------------------------------------------------------------------

    def new_event(self) -> None:
        """File ▸ New (Ctrl+N): the sample event, after asking about unsaved changes."""
        self._tasks.spawn(self._new_event(), "New event")

    async def _new_event(self) -> None:
        if not await self.may_replace_composer("starting a new event"):
            return
        self.controller.load_payload(sample_in(self.controller.revision()))
        self.controller.mark_saved()
        self.set_file(None)

    def open_dialog(self) -> None:
        self._tasks.spawn(self._open_dialog(), "Opening a file")

    async def _open_dialog(self) -> None:
        path = await ask_open_path(self._window, "Open event", EVENT_FILTER)
        if path is not None:
            await self._open(path, as_template=False)

    def open_path(self, path: Path, *, as_template: bool = False) -> None:
        self._tasks.spawn(self._open(path, as_template), f"Opening {path.name}")

    async def _open(self, path: Path, as_template: bool) -> None:
        if not await self.may_replace_composer(f"opening {path.name}"):
            return
        try:
            read = await off_thread(read_event, path)
        except EventFileError as exc:
            warn(self._window, "Cannot open the file", str(exc))
            return
        text = read.text
        if as_template:  # templates come in the shape of the chosen revision
            text = template_in(text, self.controller.revision())
        self.controller.load_text(text)
        if not as_template:
            self.adopt_revision(None)
        self.controller.mark_saved()
        self.set_file(None if as_template else path)
        if not as_template:
            await self._remember_recent(path)
        note = ""
        if read.encoding != "UTF-8":
            note = f" (written in {read.encoding}; Save writes UTF-8)"
        self.message.emit(f"Opened {path.name}{note}.", 5000)

    # -- import ----------------------------------------------------------------------------------

    def import_dialog(self) -> None:
        self._tasks.spawn(self._import_dialog(), "Importing requests")

    async def _import_dialog(self) -> None:
        path = await ask_open_path(
            self._window, "Import requests into the history", IMPORT_FILTER, name="importDialog"
        )
        if path is not None:
            await self._import(path)

    def import_path(self, path: Path) -> None:
        """Import the event bodies of an NDJSON file (or JSON array) or a HAR file into the
        history; a file of one request also goes into the composer."""
        self._tasks.spawn(self._import(path), f"Importing {path.name}")

    async def _import(self, path: Path) -> None:
        try:
            result = await off_thread(self._history.import_file, path)
        except (OSError, ValueError) as exc:
            warn(self._window, "Cannot import the file", f"{path.name}: {exc}")
            return
        self.historyChanged.emit()
        count = result.imported
        plural = "s" * (count != 1)
        message = f"Imported {count} request{plural} from {path.name} into the history"
        if result.problems:
            shown = "\n".join(f"• {p}" for p in result.problems[:10])
            more = len(result.problems) - 10
            if more > 0:
                shown += f"\n… and {more} more"
            warn(
                self._window,
                "Some requests were not imported",
                f"{message}; {len(result.problems)} could not be read:\n\n{shown}",
            )
        if count == 1 and await self.may_replace_composer(f"loading {path.name}"):
            self.load_unsaved(result.bodies[0].decode("utf-8", "replace"))
            message += " and into the composer"
        elif count > 1:
            message += "; double-click one to load it into the composer"
        self.message.emit(message + ".", 10000)

    # -- save --------------------------------------------------------------------------------------

    def save(self) -> None:
        self._tasks.spawn(self._save_flow(as_new=self.file is None), "Saving")

    def save_as(self) -> None:
        self._tasks.spawn(self._save_flow(as_new=True), "Saving")

    async def _save_flow(self, *, as_new: bool) -> bool:
        path = await self._ask_save_path() if as_new else self.file
        return path is not None and await self._save(path)

    async def _ask_save_path(self) -> Path | None:
        return await ask_save_path(
            self._window, "Save event", str(self.file or "event.json"), "Event JSON (*.json)"
        )

    async def _save(self, path: Path) -> bool:
        from composer.storage.collections import CollectionError

        text = self.controller.text()
        request = self.request if path == self.file else self._owner_of(path)
        try:
            if request is not None:
                # a collection's request: exactly the text shown (a byte-order mark the file
                # had stays); git sees no change when nothing changed
                collection, key = request
                await off_thread(collection.save_request, key, text)
            else:
                await off_thread(write_event_file, path, text)
        except (EventFileError, CollectionError) as exc:
            warn(self._window, "Cannot save the file", str(exc))
            return False
        self.controller.mark_saved()
        if request is not None:
            self.follow_request(*request)
        else:
            self.set_file(path)
        await self._remember_recent(path)
        self.message.emit(f"Saved {path}.", 5000)
        self.saved.emit(path)
        return True

    async def _remember_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        await off_thread(self._settings.modify, lambda s: s.with_recent_file(resolved))
        self.rebuild_recent_menu()

    # -- drops -------------------------------------------------------------------------------------

    @staticmethod
    def droppable(paths: list[str]) -> str | None:
        """The first ``.json`` file among dropped local ``paths``, or None."""
        return next((p for p in paths if p.lower().endswith(".json")), None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A ``.json`` file dragged onto the window (installed on it) opens in the composer."""
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            return False
        assert isinstance(event, QDropEvent)  # QDragEnterEvent is one
        data = event.mimeData()
        urls = data.urls() if data.hasUrls() else []
        found = self.droppable([u.toLocalFile() for u in urls if u.isLocalFile()])
        if found is None:
            event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            self.open_path(Path(found))
        event.acceptProposedAction()
        return True
