"""The Save to collection dialog: which folder of which open collection, and the request's
name, checked as it is typed (a name no system can share, or one the folder already has, is
named before anything is written)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from composer.domain.collection_rules import name_problem
from composer.storage.collections import Collection
from composer.ui import theme


@dataclass(frozen=True, slots=True)
class FolderChoice:
    """A folder a request can be saved into, and the names already used in it."""

    collection: Collection
    folder_key: str
    """``""`` for the collection's top folder, else ``path/``."""
    label: str
    taken: frozenset[str]
    """Request names of the folder, folded for comparing (a file system may ignore case)."""


class SaveToCollectionDialog(QDialog):
    """Asks for a folder (among ``choices``, ``current`` chosen first) and a name."""

    def __init__(
        self,
        parent: QWidget,
        choices: list[FolderChoice],
        *,
        current: int = 0,
        name: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("saveToCollectionDialog")
        self.setWindowTitle("Save to collection")
        self._choices = choices
        intro = QLabel(
            "The event in the composer becomes a request of the collection "
            "(NAME.event.json, exactly as it is now). Save (Ctrl+S) writes later changes to it."
        )
        intro.setWordWrap(True)
        self.folder = QComboBox()
        self.folder.setAccessibleName("Folder")
        for choice in choices:
            self.folder.addItem(choice.label)
        self.folder.setCurrentIndex(max(0, min(current, len(choices) - 1)))
        taken = choices[self.folder.currentIndex()].taken if choices else frozenset()
        self.name = QLineEdit(free_name(name, taken) if name else "")
        self.name.setAccessibleName("Request name")
        self.name.setPlaceholderText("e.g. placed-order")
        self.problem = QLabel()
        self.problem.setObjectName("nameProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.colors().error};")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Folder", self.folder)
        form.addRow("&Name", self.name)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(lambda _t: self._check())
        self.folder.currentIndexChanged.connect(lambda _i: self._check())
        self.resize(460, self.sizeHint().height())
        self.name.selectAll()
        self.name.setFocus()
        self._check()

    def choice(self) -> FolderChoice:
        """The folder chosen."""
        return self._choices[self.folder.currentIndex()]

    def request_name(self) -> str:
        return self.name.text()

    def name_problem(self) -> str | None:
        """Why the name cannot be used in the chosen folder, or None."""
        name = self.name.text()
        bad = name_problem(name)
        if bad:
            return bad[0].upper() + bad[1:] + "."
        choice = self.choice()
        if name.casefold() in choice.taken:
            return f"{choice.label} already has a request named “{name}”; choose another name."
        return None

    def _check(self) -> None:
        problem = self.name_problem() if self.name.text() else None
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(bool(self.name.text()) and problem is None)


def free_name(name: str, taken: AbstractSet[str]) -> str:
    """``name``, or ``name 2``, ``name 3``… when the folder has it already (``taken``: its
    request names, case-folded)."""
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate = f"{name} {n}"
        n += 1
    return candidate
