"""The main window's menu bar and the actions in it (their shortcuts work anywhere in the
window)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from composer.ui.shortcuts import shortcut_for

if TYPE_CHECKING:
    from composer.ui.main_window import MainWindow


class WindowMenus:
    """File, Edit, Send, View and Help for ``window``; the actions other code enables and
    disables are attributes (``send_action``, ``cancel_action``, ``undo_action``, ...)."""

    def __init__(self, window: MainWindow, menus: list[QMenu]) -> None:
        self.window = window
        self._build_menus(*menus)

    def _action(
        self,
        text: str,
        slot: Any,
        shortcut: QKeySequence.StandardKey | str | None = None,
        name: str = "",
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(shortcut_for(shortcut))
        action.triggered.connect(slot)
        if name:
            action.setObjectName(name)
        self.window.addAction(action)
        return action

    def _update_undo_actions(self) -> None:
        history = self.window.controller.state.history
        for action, word, label, enabled in (
            (self.undo_action, "&Undo", history.undo_label(), history.can_undo()),
            (self.redo_action, "&Redo", history.redo_label(), history.can_redo()),
        ):
            action.setText(f"{word} {label}" if label else word)
            action.setEnabled(enabled)

    def _build_menus(
        self,
        file_menu: QMenu,
        edit_menu: QMenu,
        send_menu: QMenu,
        view_menu: QMenu,
        help_menu: QMenu,
    ) -> None:
        self.window.document.fill_file_menu(file_menu)
        self.templates_menu = self.window.document.templates_menu
        self.replay_action = self._action(
            "&Replay a file…", self.window.replay_part.replay_file, "Ctrl+Shift+E", "replayAction"
        )
        file_menu.addAction(self.replay_action)
        file_menu.addSeparator()
        collections = self.window.collections_part
        self.open_collection_action = self._action(
            "Open &collection…",
            collections.open_collection_dialog,
            "Ctrl+Shift+O",
            "openCollection",
        )
        file_menu.addAction(self.open_collection_action)
        self.save_to_collection_action = self._action(
            "Save to co&llection…", collections.save_to_collection, name="saveToCollection"
        )
        file_menu.addAction(self.save_to_collection_action)
        file_menu.addSeparator()
        self.settings_action = self._action(
            "Se&ttings…", self.window.open_settings, QKeySequence.StandardKey.Preferences
        )
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.window.close, QKeySequence.StandardKey.Quit))
        # One history for the Form, the property trees and the Raw JSON text.
        self.undo_action = self._action(
            "&Undo", self.window.controller.undo, QKeySequence.StandardKey.Undo
        )
        self.redo_action = self._action(
            "&Redo", self.window.controller.redo, QKeySequence.StandardKey.Redo
        )
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        self.window.controller.undoStateChanged.connect(self._update_undo_actions)
        self._update_undo_actions()
        edit_menu.addSeparator()
        self.format_action = self._action(
            "&Format JSON", self.window.controller.format_json, "Ctrl+Shift+F"
        )
        edit_menu.addAction(self.format_action)
        edit_menu.addAction(self._action("&Minify JSON", self.window.controller.minify_json))
        edit_menu.addSeparator()
        self.search_action = self._action(
            "&Search history", self.window.history_pane.focus_search, QKeySequence.StandardKey.Find
        )
        edit_menu.addAction(self.search_action)
        self.send_action = self._action("&Send", self.window.request_send, name="sendAction")
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        send_menu.addAction(self.send_action)
        self.cancel_action = self._action("&Cancel send", self.window.cancel_send, "Esc")
        self.cancel_action.setEnabled(False)
        send_menu.addAction(self.cancel_action)
        send_menu.addSeparator()
        panel = self.window.collection_panel
        self.run_action = self._action(
            "&Run the chosen folder or collection",
            panel.run_current,
            "Ctrl+Shift+R",
            "runCollection",
        )
        send_menu.addAction(self.run_action)
        self.cancel_run_action = self._action(
            "Cancel the &run", self.window.cancel_run, name="cancelRun"
        )
        send_menu.addAction(self.cancel_run_action)
        send_menu.addSeparator()
        send_menu.addAction(self._action("Manage &keys…", self.window.settings_part.manage_keys))
        layout = self.window.layout_parts
        self.collections_action = self._action(
            "&Collections", layout.show_collections, "Ctrl+Shift+L", "toggleCollections"
        )
        self.collections_action.setCheckable(True)
        self.collections_action.setChecked(layout.collections_shown())
        self.collections_action.setToolTip("Show or hide the collections (Ctrl+Shift+L)")
        view_menu.addAction(self.collections_action)
        self.window.collection_panel.shownChanged.connect(self.collections_action.setChecked)
        collections.showPanel.connect(lambda: layout.show_collections(True))
        self.window.collection_panel.foldRequested.connect(lambda: layout.show_collections(False))
        view_menu.addAction(self.window.history_pane.fold_action)  # Ctrl+H
        view_menu.addSeparator()
        self.window.settings_part.fill_theme_menu(view_menu.addMenu("&Theme"))
        self.theme_actions = self.window.settings_part.theme_actions
        help_menu.addAction(self._action("&About Event Composer", self.window.show_about))
