"""Revisions in the window: the question before a send to Klaviyo with a retired revision
(convert, the default; as is; or with the fall-forward opt-out; wording and sends in
composer.services.retired, shared with the command line), what a revision switch changed, and
new events and templates in the shape of the chosen revision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composer.domain.convert import (
    ConversionReport,
    body_shape,
    convert,
    guess_revision,
    sample_event_in,
)
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import NEWEST_REVISION, REVISIONS, get_revision
from composer.services.retired import RetiredChoice, explanation, question

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtWidgets import QMessageBox, QWidget


def retired_box(parent: QWidget, revision: str) -> tuple[QMessageBox, dict[Any, RetiredChoice]]:
    """The message box and which button means which choice."""
    # asyncio with the dialogs, and the message box's classes: not before the first paint
    from PySide6.QtWidgets import QMessageBox

    from composer.ui import dialogs

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
    from composer.ui import dialogs

    clicked = await dialogs.ask(box)
    return choices.get(clicked)


def conversion_summary(
    report: ConversionReport, before: str, after: str, repeated: Sequence[str] = ()
) -> str:
    """One status-bar line: what a switch of revision changed in the open event
    (``repeated``: pointers of members it found given twice, and kept once)."""
    moved, homeless = report.moved, report.homeless
    words = f"Converted the event from {before} to {after}: {len(moved)} field(s) moved"
    if homeless:
        names = ", ".join(e.source.rsplit("/", 1)[-1] for e in homeless[:4])
        words += f"; no equivalent for {names} (kept, see Raw JSON)"
    if repeated:
        from composer.domain.findings import describe_pointer

        names = ", ".join(describe_pointer(p) for p in repeated[:4])
        words += f"; {names} given twice, the last kept"  # (the one Klaviyo reads)
    return words + ". Undo (Ctrl+Z) goes back."


def sample_in(revision: str) -> object:
    """The sample event in the shape of ``revision``."""
    return sample_event_in(revision)


def template_in(text: str, revision: str) -> str:
    """A template's text in the shape of ``revision`` (as is when it does not parse)."""
    import json

    parsed = parse_json_text(text)
    if not parsed.ok:
        return text
    result = convert(parsed.value, revision)
    if result.body == parsed.value:
        return text
    return json.dumps(result.body, ensure_ascii=False, indent=2) + "\n"


def revision_for_text(text: str, current: str, recorded: str | None = None) -> str:
    """The revision to show a loaded event with: ``recorded`` when known, else ``current``
    when the body has its shape, else a revision of the body's shape."""
    if recorded in REVISIONS:
        return str(recorded)
    parsed = parse_json_text(text)
    if not parsed.ok:
        return current
    shape = body_shape(parsed.value)
    if shape is None or shape is get_revision(current).shape:
        return current
    return guess_revision(parsed.value)
