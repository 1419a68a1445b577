"""Environments as the window uses them: the switcher in the toolbar, and what choosing one
does (the target, account, revision and the composer's variables at once).

The environments are the ``NAME.json`` files of one folder: the ``environments/`` of the
collection the window works in (the one whose request is in the composer, else the one opened
last), else the user's own folder. The list is read again whenever it opens, the composer's
request changes or a collection is listed; the collection's own variables (its
``collection.json``) are read with it, so the composer resolves what a run would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from composer.client.targets import TargetError, parse_target
from composer.domain.environments import Environment, EnvironmentFile, list_environments
from composer.domain.revisions import REVISIONS
from composer.domain.variables import Scope
from composer.storage.collections import Collection, CollectionError
from composer.ui.editor.controller import ComposerController
from composer.ui.target_bar import TargetBar


class EnvironmentPart(QObject):
    """Owns the environment switcher. ``environmentChanged(Environment | None)`` fires after
    an environment was applied (or cleared); ``message(str, int)`` says what happened or what
    is wrong with a file (naming it)."""

    environmentChanged = Signal(object)
    message = Signal(str, int)

    def __init__(
        self,
        parent: QWidget,
        *,
        controller: ComposerController,
        target_bar: TargetBar,
        user_folder: Path,
        collection_root: Callable[[], Path | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._bar = target_bar
        self._user_folder = user_folder
        self._collection_root = collection_root
        self._collection_folder: Path | None = None
        self._collection_variables: dict[str, Any] = {}
        self._collection_problem = ""
        self._files: dict[str, EnvironmentFile] = {}
        self._current: Environment | None = None
        self._known_accounts: list[str] = []
        self._problems: list[str] = []
        target_bar.environmentChosen.connect(self.choose)
        target_bar.manageEnvironmentsRequested.connect(self.open_folder)
        target_bar.environment_combo.popupAboutToShow.connect(self.reload)

    # -- public --------------------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """Where the environments are read from now."""
        return self._collection_folder or self._user_folder

    def current(self) -> Environment | None:
        return self._current

    def scope(self) -> Scope:
        """The variables the composer resolves with: the environment's and the collection's."""
        return Scope.of(self._current, self._collection_variables)

    def set_collection_variables(self, variables: Mapping[str, Any]) -> None:
        """Variables the collection itself defines (the environment's win over them)."""
        self._collection_variables = dict(variables)
        self._controller.set_variables(self.scope())

    def set_accounts(self, names: list[str]) -> None:
        """The accounts that have a key (an environment naming another is reported)."""
        self._known_accounts = list(names)

    def reload(self) -> None:
        """Read the folder's environments again; a file that cannot be used is named in a
        message and left out (the others stay usable)."""
        root = self._collection_root()
        self._collection_folder = None if root is None else Path(root) / "environments"
        found, problems = list_environments(self.folder)
        self._collection_variables = {}
        if root is not None:  # the collection's own variables (collection.json), as a run has
            try:
                self._collection_variables = Collection(root).variables()
            except CollectionError as exc:  # said once, as the environments' problems are
                if str(exc) != self._collection_problem:
                    self.message.emit(f"The collection's variables are not usable: {exc}", 20000)
                self._collection_problem = str(exc)
            else:
                self._collection_problem = ""
        self._files = {f.environment.name: f for f in found}
        name = self._current.name if self._current is not None else None
        if name is not None and name not in self._files:
            name = None
        self._current = self._files[name].environment if name is not None else None
        self._bar.set_environments(
            [(f.environment.name, f.environment.is_production) for f in found], name
        )
        self._controller.set_variables(self.scope())
        if problems and problems != self._problems:  # said once, not at every reload
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.message.emit(f"Environment not usable: {problems[0]}{more}", 20000)
        self._problems = problems

    def choose(self, name: str | None) -> None:
        """Apply the environment ``name`` (None: no environment; the target, account and
        revision stay as they are and only the built-in variables resolve)."""
        env = self._files[name].environment if name in self._files else None
        self._current = env
        self._bar.show_environment(env.name if env else None)
        if env is not None:
            self._apply(env)
        self._controller.set_variables(self.scope())
        self.environmentChanged.emit(env)

    def open_folder(self) -> None:
        """Show the environments folder in the file manager (created when missing)."""
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.message.emit(f"{folder}: cannot be created ({exc.strerror or exc})", 15000)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self.message.emit(
            f"Environments are the NAME.json files in {folder}; the list is read again each "
            "time it opens.",
            15000,
        )

    # -- internals -----------------------------------------------------------------------------

    def _apply(self, env: Environment) -> None:
        where = self._files[env.name].path
        notes: list[str] = []
        if env.target is not None:
            try:
                self._bar.set_target(parse_target(env.target))
            except TargetError as exc:
                notes.append(f"{where}: target: {exc}")
        if env.account is not None:
            if env.account in self._known_accounts:
                self._bar.set_account(env.account)
            else:
                self._bar.set_account(None)
                notes.append(
                    f'{where}: account "{env.account}" has no key here; add it under Account '
                    "> Manage keys…"
                )
        if env.revision is not None:
            if env.revision in REVISIONS:
                self._bar.set_revision(env.revision)
            else:
                notes.append(f"{where}: revision {env.revision!r} is not one this version knows")
        if notes:
            self.message.emit("; ".join(notes), 20000)
        else:
            self.message.emit(f'Environment "{env.name}" applied.', 6000)
