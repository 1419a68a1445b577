"""A paragraph separator (U+2029) inside a string, in a file that is opened or text that is
pasted into the Raw JSON or typed into a field, stays that character: Qt's text document
turns it into a line end, which made a valid event stop parsing."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QApplication

from composer.domain.draft import sample_event
from tests.ui.composer_fixtures import show_composer

SEPARATED = "one\u2029two"


def _product(controller: Any) -> Any:
    return json.loads(controller.document_text())["data"]["attributes"]["properties"]["ProductName"]


def test_a_paragraph_separator_in_a_string_stays_that_character(qtbot: Any) -> None:
    event = sample_event()
    event["data"]["attributes"]["properties"]["ProductName"] = SEPARATED
    controller, widget = show_composer(qtbot, event)
    # opened: the text parses and holds the character (written as its escape)
    controller.load_text(json.dumps(event, ensure_ascii=False, indent=2))
    controller.validate_now()
    assert controller.syntax_error() is None and _product(controller) == SEPARATED
    widget.show_raw()
    raw = widget.raw_editor
    assert raw.toPlainText().replace("\u2029", "\n") == controller.document_text()
    # pasted over the value in the Raw JSON
    text = controller.document_text()
    start = text.index('"ProductName": ') + len('"ProductName": ')
    end = text.index(",", start)
    cursor = raw.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, cursor.MoveMode.KeepAnchor)
    raw.setTextCursor(cursor)
    QApplication.clipboard().setText(json.dumps("pasted\u2029text", ensure_ascii=False))
    raw.paste()
    controller.validate_now()
    assert controller.syntax_error() is None and _product(controller) == "pasted\u2029text"
    # typed into a Form field
    widget.show_form()
    email = widget.form.profile_edits["$email"]
    email.setText("")
    email.insert("a\u2029b@example.com")
    email.textEdited.emit(email.text())
    controller.validate_now()
    assert controller.syntax_error() is None
    assert json.loads(controller.text())["data"]["attributes"]["profile"]["$email"] == (
        "a\u2029b@example.com"
    )
    assert raw.toPlainText().replace("\u2029", "\n") == controller.document_text()
