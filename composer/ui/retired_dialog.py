"""The question before a send to Klaviyo with a retired revision: convert (default), as is, or
with the fall-forward opt-out. Wording and the sends themselves live in
composer.services.retired (shared with the command line)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from composer.domain.revisions import NEWEST_REVISION
from composer.services.retired import RetiredChoice, explanation, question
from composer.ui import dialogs


def retired_box(parent: QWidget, revision: str) -> tuple[QMessageBox, dict[Any, RetiredChoice]]:
    """The message box and which button means which choice."""
    details = "\n\n".join(f"• {explanation(choice, revision)}" for choice in RetiredChoice)
    box = dialogs.question(
        parent,
        "retiredRevision",
        f"Revision {revision} is retired",
        f"{question(revision)}\n\n{details}",
    )
    convert = box.addButton(
        f"&Convert to {NEWEST_REVISION} and send", QMessageBox.ButtonRole.AcceptRole
    )
    as_is = box.addButton("Send &as it is", QMessageBox.ButtonRole.ActionRole)
    opt_out = box.addButton("Send with &opt-out header", QMessageBox.ButtonRole.ActionRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(convert)
    box.setEscapeButton(cancel)
    return box, {
        convert: RetiredChoice.CONVERT,
        as_is: RetiredChoice.AS_IS,
        opt_out: RetiredChoice.OPT_OUT,
    }


async def ask_retired_choice(parent: QWidget, revision: str) -> RetiredChoice | None:
    """The user's choice, or None when they cancelled (nothing is sent)."""
    box, choices = retired_box(parent, revision)
    clicked = await dialogs.ask(box)
    return choices.get(clicked)
