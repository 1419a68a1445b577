"""Shortcuts of the standard commands: the platform's key where it binds one, the key a
desktop user expects where it binds none (Qt binds no Preferences key on Linux without a
desktop's key theme, and none of Quit under the offscreen platform)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

_Std = QKeySequence.StandardKey

COMMON_KEYS: dict[QKeySequence.StandardKey, str] = {
    _Std.New: "Ctrl+N",
    _Std.Open: "Ctrl+O",
    _Std.Save: "Ctrl+S",
    _Std.SaveAs: "Ctrl+Shift+S",
    _Std.Preferences: "Ctrl+,",
    _Std.Quit: "Ctrl+Q",
    _Std.Find: "Ctrl+F",
    _Std.Undo: "Ctrl+Z",
    _Std.Redo: "Ctrl+Shift+Z",
}
"""The common key of each standard command the menus use, for platforms that bind none."""


def shortcut_for(shortcut: QKeySequence.StandardKey | str | None) -> QKeySequence:
    """The key sequence of a menu action: a standard command's platform key (the first, the
    one a menu shows), else its common key from :data:`COMMON_KEYS`; a plain key text as it
    is; None gives an empty sequence."""
    if isinstance(shortcut, QKeySequence.StandardKey):
        platform = QKeySequence.keyBindings(shortcut)
        if platform:
            return QKeySequence(platform[0])
        return QKeySequence(COMMON_KEYS.get(shortcut, ""))
    return QKeySequence(shortcut or "")
