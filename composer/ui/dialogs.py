"""The app's one way to show a dialog from a coroutine: open it window-modal and await a future
that its ``finished`` signal resolves.

Never ``exec()`` (nor the static ``QFileDialog.get…`` / ``QInputDialog.get…`` helpers, which call
it) inside a coroutine: ``exec()`` runs a nested event loop, and qasync would then step other
tasks (a history poll, a timer) *inside* the task that waits on the dialog, which asyncio refuses
("Cannot enter into task … while another task … is being executed") and which left the app
unable to exit. With :func:`run_dialog` the coroutine is suspended while the dialog is open and
the one Qt event loop keeps running every task in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog


async def run_dialog(dialog: QDialog, *, modal: bool = True) -> int:
    """Show ``dialog`` window-modal and return its result code when it closes (``Rejected``
    when it is destroyed unanswered, e.g. with its parent window). ``modal=False`` leaves the
    window usable while the dialog is open (a long replay beside the composer)."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    def destroyed() -> None:
        if not future.done():
            future.set_result(int(QDialog.DialogCode.Rejected))

    dialog.finished.connect(finished)
    dialog.destroyed.connect(destroyed)
    if modal:
        dialog.open()
    else:
        dialog.setModal(False)
        dialog.show()
    return await future


def dispose(obj: QObject) -> None:
    """Delete ``obj`` (a dialog that has closed) once control is back in the event loop; a
    dialog already destroyed with its parent is left alone."""
    if shiboken6.isValid(obj):
        obj.deleteLater()


def grow_to_fit(dialog: QDialog) -> None:
    """Grow ``dialog`` to what it holds now, so wrapped texts never clip (a layout's minimum
    size ignores the height a wrapped label needs at this width), and keep it on the screen."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    width = dialog.width()
    want = (
        layout.totalHeightForWidth(width)
        if layout.hasHeightForWidth()
        else layout.totalSizeHint().height()
    )
    screen = dialog.screen()
    free = screen.availableGeometry() if screen is not None else None
    if free is not None:
        want = min(want, free.height() - 40)
    if want > dialog.height():
        dialog.resize(width, want)
    if free is not None and dialog.isVisible():
        # grown past the bottom of the screen: move up, so the buttons stay in reach
        frame = dialog.frameGeometry()
        if frame.bottom() > free.bottom():
            over = frame.bottom() - free.bottom()
            dialog.move(frame.left(), max(free.top(), frame.top() - over))


async def ask(box: QMessageBox) -> QAbstractButton | None:
    """Show the question ``box`` and return the button clicked (None when closed otherwise).
    The box is deleted afterwards."""
    try:
        await run_dialog(box)
        return box.clickedButton() if shiboken6.isValid(box) else None
    finally:
        dispose(box)


def question(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
) -> QMessageBox:
    """A window-modal message box named ``name`` (tests and screen readers find it by that
    name), without buttons yet: add them, then ``await ask(box)``."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName(name)
    return box


def warn(parent: QWidget, title: str, text: str) -> None:
    """A window-modal warning with OK; nothing waits for it."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("warning")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def _file_dialog(
    parent: QWidget, name: str, caption: str, folder: str, filters: str
) -> QFileDialog:
    from PySide6.QtWidgets import QFileDialog  # loads with the first file dialog

    dialog = QFileDialog(parent, caption, folder, filters)
    dialog.setObjectName(name)
    return dialog


async def _chosen_path(dialog: QFileDialog) -> Path | None:
    try:
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return None
        files = dialog.selectedFiles()
        return Path(files[0]) if files and files[0] else None
    finally:
        dispose(dialog)


async def ask_open_path(
    parent: QWidget, caption: str, filters: str, *, name: str = "openFileDialog"
) -> Path | None:
    """The existing file the user picked, or None when cancelled."""
    dialog = _file_dialog(parent, name, caption, "", filters)
    dialog.setAcceptMode(dialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(dialog.FileMode.ExistingFile)
    return await _chosen_path(dialog)


async def ask_save_path(
    parent: QWidget,
    caption: str,
    suggested: str,
    filters: str,
    *,
    suffix: str = "json",
    name: str = "saveFileDialog",
) -> Path | None:
    """Where to save, as the user chose it (with ``.suffix`` added when they typed none), or
    None when cancelled. The dialog asks before overwriting a file."""
    dialog = _file_dialog(parent, name, caption, suggested, filters)
    dialog.setAcceptMode(dialog.AcceptMode.AcceptSave)
    dialog.setFileMode(dialog.FileMode.AnyFile)
    dialog.setDefaultSuffix(suffix)
    if suggested:
        dialog.selectFile(suggested)
    path = await _chosen_path(dialog)
    if path is None:
        return None
    return path if path.suffix else path.with_suffix(f".{suffix}")


def documents_folder() -> Path:
    """The user's documents folder when it exists, else their home folder: where a file the
    user saves goes first (the folder the app was started from may be anything, even /)."""
    from PySide6.QtCore import QStandardPaths

    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    documents = Path(found) if found else None
    return documents if documents is not None and documents.is_dir() else Path.home()


@dataclass(frozen=True)
class SaveFormat:
    """A format a save dialog offers: its filter line, its key and its file suffix."""

    filter: str
    key: str
    suffix: str


def format_of_suffix(path: Path, formats: Sequence[SaveFormat]) -> SaveFormat | None:
    """The format whose suffix ``path`` has (ignoring case), None when none does."""
    suffix = path.suffix.lower()
    return next((f for f in formats if f.suffix == suffix), None) if suffix else None


def with_format_suffix(path: Path, fmt: SaveFormat, formats: Sequence[SaveFormat]) -> Path:
    """``path`` named for ``fmt``: another format's suffix replaced, the suffix added to a
    name without one; a suffix of the user's own (``.txt``) is left as typed."""
    if not path.suffix or format_of_suffix(path, formats) is not None:
        return path.with_suffix(fmt.suffix)
    return path


@dataclass
class _Choice:
    """The format chosen last in a save dialog, and whether it was picked from the list (or
    follows a suffix typed)."""

    format: SaveFormat
    picked: bool = False


async def ask_save_path_for_format(
    parent: QWidget,
    caption: str,
    stem: str,
    formats: Sequence[SaveFormat],
    *,
    folder: Path | None = None,
    name: str = "saveFileDialog",
) -> tuple[Path, SaveFormat] | None:
    """Where to save and in which of ``formats`` (the first is suggested, as ``stem`` plus
    its suffix, in ``folder``: by default the user's documents folder, else their home,
    never wherever the app was started from); None when cancelled. The name and the
    format always agree: choosing a format renames the suffix, typing another format's
    suffix chooses that format, and a dialog that keeps the name when the format changes
    (a desktop's own) gets the suffix of the format chosen last."""
    from PySide6.QtWidgets import QLineEdit

    by_filter = {f.filter: f for f in formats}
    start = str(folder if folder is not None else documents_folder())
    dialog = _file_dialog(parent, name, caption, start, ";;".join(by_filter))
    dialog.setAcceptMode(dialog.AcceptMode.AcceptSave)
    dialog.setFileMode(dialog.FileMode.AnyFile)
    dialog.selectNameFilter(formats[0].filter)
    dialog.selectFile(stem + formats[0].suffix)
    chosen = _Choice(formats[0])

    def typed() -> Path | None:
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        text = edit.text() if edit is not None else ""
        if not text:
            files = dialog.selectedFiles()
            text = Path(files[0]).name if files and files[0] else ""
        return Path(text) if text else None

    def format_picked(label: str) -> None:
        fmt = by_filter.get(label)
        if fmt is None or fmt is chosen.format:
            return
        chosen.format, chosen.picked = fmt, True
        current = typed()
        if current is not None:
            renamed = with_format_suffix(current, fmt, formats)
            if renamed != current:
                dialog.selectFile(str(renamed))

    def name_typed(text: str) -> None:
        fmt = format_of_suffix(Path(text), formats)
        if fmt is not None and fmt is not chosen.format:
            chosen.format, chosen.picked = fmt, False
            dialog.selectNameFilter(fmt.filter)

    dialog.filterSelected.connect(format_picked)
    edit = dialog.findChild(QLineEdit, "fileNameEdit")  # Qt's own dialog: follow the typing
    if edit is not None:
        edit.textEdited.connect(name_typed)
    path = await _chosen_path(dialog)
    if path is None:
        return None
    fmt = by_filter.get(dialog.selectedNameFilter(), chosen.format)
    named = format_of_suffix(path, formats)
    if named is not None and named is not fmt and not chosen.picked:
        fmt = named  # a suffix typed after the format was chosen (or with none chosen)
    return with_format_suffix(path, fmt, formats), fmt


async def ask_text(
    parent: QWidget, title: str, label: str, *, text: str = "", name: str = "textDialog"
) -> str | None:
    """One line of text from the user, stripped; None when cancelled or left empty."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    dialog = QInputDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    try:
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return None
        value = dialog.textValue().strip()
        return value or None
    finally:
        dispose(dialog)


async def ask_folder(
    parent: QWidget, caption: str, *, name: str = "folderDialog", start: str = ""
) -> Path | None:
    """The folder the user picked (it may be a new, empty one), or None when cancelled."""
    dialog = _file_dialog(parent, name, caption, start, "")
    dialog.setAcceptMode(dialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(dialog.FileMode.Directory)
    dialog.setOption(dialog.Option.ShowDirsOnly, True)
    return await _chosen_path(dialog)
