"""What can be done with selected history entries: load into the composer, resend, copy as
cURL or Python, export and delete. The history pane owns the table; this part owns the
actions on its selection (their shortcuts, enabled states and context menu)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QTableView, QWidget

from composer.storage.exports import curl_command
from composer.storage.records import HistoryEntry, HistoryQuery
from composer.ui.dialogs import SaveFormat, ask, ask_save_path_for_format, question
from composer.ui.history_model import HistoryPager, HistoryTableModel
from composer.ui.tasks import TaskRunner, off_thread

EXPORT_FORMATS = (
    SaveFormat("HAR 1.2 (*.har)", "har", ".har"),
    SaveFormat("NDJSON, replayable (*.ndjson)", "ndjson", ".ndjson"),
    SaveFormat("cURL script (*.sh)", "curl", ".sh"),
)


class HistoryStoreLike(HistoryPager, Protocol):
    """The parts of composer.storage.history.HistoryStore the pane uses."""

    def get(self, entry_id: int) -> HistoryEntry | None: ...

    def delete(self, ids: Any) -> int: ...

    def export(self, fmt: str, out: Any, query: HistoryQuery | None = None) -> int: ...


class HistoryActions(QObject):
    """The actions on the selected rows of ``table`` (a view of ``model``), parented to the
    pane ``owner``. ``activate`` and ``resend`` receive a full :class:`HistoryEntry`; ``say``
    takes a sentence for the status bar; ``refresh`` reloads the table."""

    def __init__(
        self,
        owner: QWidget,
        *,
        table: QTableView,
        model: HistoryTableModel,
        store: HistoryStoreLike,
        tasks: TaskRunner,
        activate: Callable[[HistoryEntry], None],
        resend: Callable[[HistoryEntry], None],
        say: Callable[[str], None],
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(owner)
        self._owner = owner
        self._table = table
        self._model = model
        self._store = store
        self._tasks = tasks
        self._activate = activate
        self._resend = resend
        self._say = say
        self._refresh = refresh
        self._export_folder: Path | None = None
        """Where the last export went this run (None: the user's documents folder)."""

        self.load_action = self._action("Load into composer", self._load_selected, "Return")
        self.resend_action = self._action("Resend exactly", self._resend_selected, "Ctrl+R")
        self.resend_action.setIconText("Resend")  # the toolbar stays narrow; the menu says all
        self.resend_action.setToolTip(
            "Send the recorded request again byte for byte, with its unique_id: Klaviyo "
            "records an event with the same unique_id only once"
        )
        self.curl_action = self._action("Copy as cURL", self._copy_curl, "Ctrl+Shift+C")
        self.python_action = self._action("Copy as Python", self._copy_python, None)
        self.export_action = self._action("Export selection…", self._export_selected, None)
        self.delete_action = self._action("Delete", self._delete_selected, "Delete")
        # the buttons' short words keep the pane usable in a narrow window; menus say it all
        self.export_action.setIconText("Export…")

        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().selectionChanged.connect(lambda *_: self.update_enabled())
        self.update_enabled()

    def toolbar_actions(self) -> tuple[QAction, ...]:
        """The actions that get a button next to the search field, in order."""
        return (
            self.resend_action,
            self.curl_action,
            self.python_action,
            self.export_action,
            self.delete_action,
        )

    def _action(self, text: str, slot: Any, shortcut: str | None) -> QAction:
        action = QAction(text, self._owner)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self._table.addAction(action)
        return action

    # -- selection -----------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The history ids of the selected rows, in selection order."""
        ids = []
        for index in self._table.selectionModel().selectedRows():
            row = self._model.row_at(index.row())
            if row is not None:
                ids.append(row.id)
        return ids

    def update_enabled(self) -> None:
        """Enable what the selection allows: one entry to load, resend or copy; any to
        export or delete."""
        count = len(self._table.selectionModel().selectedRows())
        for action in (self.load_action, self.resend_action, self.curl_action, self.python_action):
            action.setEnabled(count == 1)
        self.export_action.setEnabled(count >= 1)
        self.delete_action.setEnabled(count >= 1)

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self._owner)
        for action in (
            self.load_action,
            self.resend_action,
            None,
            self.curl_action,
            self.python_action,
            self.export_action,
            None,
            self.delete_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self._table.viewport().mapToGlobal(pos))

    def _single_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    # -- loading and resending -----------------------------------------------------------------

    def load(self, entry_id: int) -> None:
        """Load history entry ``entry_id`` into the composer (read off the UI thread)."""
        self._tasks.spawn(self._with_entry(entry_id, self._activate), "Loading the entry")

    async def _with_entry(self, entry_id: int, use: Any) -> None:
        entry = await off_thread(self._store.get, entry_id)
        if entry is None:
            self._say("That entry is no longer in the history (deleted meanwhile).")
            self._refresh()
            return
        use(entry)

    def _load_selected(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self.load(entry_id)

    def _resend_selected(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(self._with_entry(entry_id, self._resend), "Loading the entry")

    # -- copying -------------------------------------------------------------------------------

    def _copy_curl(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(self._with_entry(entry_id, self._put_curl), "Copying as cURL")

    def _put_curl(self, entry: HistoryEntry) -> None:
        QGuiApplication.clipboard().setText(curl_command(entry))
        self._say("Copied as cURL; the key is read from $KLAVIYO_API_KEY.")

    def _copy_python(self) -> None:
        entry_id = self._single_id()
        if entry_id is not None:
            self._tasks.spawn(self._with_entry(entry_id, self._put_python), "Copying as Python")

    def _put_python(self, entry: HistoryEntry) -> None:
        from composer.ui.snippets import as_python

        QGuiApplication.clipboard().setText(as_python(entry.request))
        self._say(
            "Copied as Python (httpx and the klaviyo-api SDK); the key is read "
            "from $KLAVIYO_API_KEY."
        )

    # -- exporting -----------------------------------------------------------------------------

    def _export_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self._export_dialog(), "Exporting the history")

    async def _export_dialog(self) -> None:
        chosen = await ask_save_path_for_format(
            self._owner,
            "Export history entries",
            "history-export",
            EXPORT_FORMATS,
            folder=self._export_folder,
            name="exportDialog",
        )
        if chosen is not None:
            target, fmt = chosen
            self._export_folder = target.parent  # the next export starts there
            self.export_selected_to(target, fmt.key)

    def export_selected_to(self, path: Path, fmt: str) -> None:
        """Export the selected entries to ``path`` as ``fmt`` (har, ndjson, curl)."""
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self.export_to(path, fmt, ids), "Exporting the history")

    async def export_to(self, path: Path, fmt: str, ids: list[int]) -> int:
        """Write entries ``ids`` to ``path`` as ``fmt`` (har, ndjson, curl) off the UI thread."""

        def write() -> int:
            with path.open("w", encoding="utf-8") as out:
                return self._store.export(fmt, out, HistoryQuery(ids=tuple(ids)))

        written = await off_thread(write)
        self._say(f"Exported {written:,} entr{'y' if written == 1 else 'ies'} to {path}.")
        return written

    # -- deleting ------------------------------------------------------------------------------

    def _delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self._confirm_delete(len(ids)), "Deleting history entries")

    async def _confirm_delete(self, count: int) -> None:
        noun = "this entry" if count == 1 else f"these {count:,} entries"
        box = question(
            self._owner,
            "confirmDelete",
            "Delete from history",
            f"Delete {noun} from the history? This cannot be undone.",
        )
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(cancel)
        if await ask(box) is delete:
            self.delete_selected_now()

    def delete_selected_now(self) -> None:
        """Delete the selected entries without asking (the dialog asked already)."""
        ids = self.selected_ids()
        if ids:
            self._tasks.spawn(self.delete_ids(ids), "Deleting history entries")

    async def delete_ids(self, ids: list[int]) -> int:
        """Delete entries ``ids`` off the UI thread, say how many went, reload."""
        removed = await off_thread(self._store.delete, ids)
        self._say(f"Deleted {removed:,} entr{'y' if removed == 1 else 'ies'}.")
        self._refresh()
        return removed
