"""The Form for both body shapes: the later revisions' fields, switching the revision of the
open event (converted, one undo step), and new events in the chosen revision's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.domain.draft import sample_event
from composer.domain.validator import Validator
from composer.editing.revision_shapes import form_shape
from composer.ui.editor import ComposerController, ComposerWidget
from tests.ui.composer_fixtures import show_composer

SAMPLE_REVISION = "2023-01-24"
"""The revision of the flat layout these tests' events (``sample_event()``) are written in."""

REL = "/data/attributes/profile/data/attributes"


@pytest.fixture
def composer(qtbot: Any) -> tuple[ComposerController, ComposerWidget]:
    return show_composer(qtbot)


def body(controller: ComposerController) -> Any:
    return json.loads(controller.text())


@pytest.mark.parametrize(
    ("revision", "has", "lacks"),
    [
        ("2023-01-24", {"$email", "consent"}, {"email", "value_currency", "backfill"}),
        ("2023-07-15", {"email", "location.city", "external_id"}, {"_kx", "value_currency"}),
        ("2023-09-15", {"_kx", "location.ip"}, {"locale", "value_currency"}),
        ("2024-02-15", {"value_currency"}, {"locale", "backfill"}),
        ("2024-07-15", {"locale", "value_currency"}, {"backfill", "consent"}),
        ("2026-07-15", {"email", "locale", "backfill", "value_currency", "_kx"}, {"consent"}),
    ],
)
def test_each_revision_has_its_own_fields(revision: str, has: set[str], lacks: set[str]) -> None:
    keys = set(form_shape(revision).keys())
    assert has <= keys and not (lacks & keys)


def test_switching_converts_the_event_and_is_one_undo_step(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    flat = body(controller)
    seen: list[str] = []
    controller.revisionChanged.connect(seen.append)
    report = controller.convert_to_revision("2026-07-15")
    assert report is not None and report.moved
    new = body(controller)
    assert new["data"]["attributes"]["profile"]["data"]["attributes"]["email"]
    assert controller.revision() == "2026-07-15" and seen == ["2026-07-15"]
    # the Form now shows the later shape's fields, filled from the converted event
    assert "email" in widget.form.profile_edits and "$email" not in widget.form.profile_edits
    assert (
        widget.form.profile_edits["email"].text() == flat["data"]["attributes"]["profile"]["$email"]
    )
    assert not widget.form.consent_boxes
    # one undo takes back the text and the revision
    assert controller.undo()
    assert body(controller) == flat
    assert controller.revision() == "2023-01-24"
    assert "$email" in widget.form.profile_edits
    assert controller.redo()
    assert body(controller) == new and controller.revision() == "2026-07-15"


def test_the_later_shape_fields_edit_their_members(composer: Any, qtbot: Any) -> None:
    controller, widget = composer
    controller.convert_to_revision("2026-07-15")
    form = widget.form
    form.profile_edits["email"].clear()
    qtbot.keyClicks(form.profile_edits["email"], "sam@example.com")
    form.more_profile.setChecked(True)
    qtbot.keyClicks(form.profile_edits["location.city"], "Boston")
    qtbot.keyClicks(form.profile_edits["locale"], "en-US")
    assert form.currency_edit is not None and form.backfill_check is not None
    qtbot.keyClicks(form.currency_edit, "usd")
    form.backfill_check.click()
    attrs = body(controller)["data"]["attributes"]
    profile = attrs["profile"]["data"]["attributes"]
    assert profile["email"] == "sam@example.com"
    assert profile["location"]["city"] == "Boston"
    assert profile["locale"] == "en-US"
    assert attrs["value_currency"] == "USD"
    assert attrs["backfill"] is True
    form.backfill_check.click()
    assert "backfill" not in body(controller)["data"]["attributes"]
    # findings land on the later shape's fields too
    form.profile_edits["email"].clear()
    qtbot.keyClicks(form.profile_edits["email"], "not-an-email")
    controller.validate_now()
    qtbot.waitUntil(lambda: "email" in form.rows["email"].message.text(), timeout=3000)


def test_a_text_that_does_not_parse_switches_without_converting(composer: Any) -> None:
    controller, _widget = composer
    controller.load_text('{"data": ')
    assert controller.convert_to_revision("2026-07-15") is None
    assert controller.text() == '{"data": ' and controller.revision() == "2026-07-15"


# -- in the window -------------------------------------------------------------------------------


def test_the_picker_converts_the_open_event_and_ctrl_z_takes_it_back(qtbot, make_window):
    from PySide6.QtCore import Qt

    window = make_window(revision="2023-01-24")  # starts with the flat sample
    flat = json.loads(window.controller.text())
    window.target_bar.set_revision("2026-07-15")
    attrs = json.loads(window.controller.text())["data"]["attributes"]
    assert (
        attrs["profile"]["data"]["attributes"]["email"]
        == flat["data"]["attributes"]["profile"]["$email"]
    )
    assert "Converted the event from 2023-01-24 to 2026-07-15" in (
        window.statusBar().currentMessage()
    )
    assert "email" in window.composer.form.profile_edits
    edit = window.composer.form.profile_edits["email"]
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.target_bar.revision() == "2023-01-24", timeout=3000)
    assert json.loads(window.controller.text()) == flat
    window.controller.mark_saved()  # closing the window must not ask


def test_new_event_comes_in_the_chosen_revisions_shape(qtbot, make_window, tmp_path):
    window = make_window()
    window.target_bar.set_revision("2025-04-15")
    window.controller.mark_saved()
    window.new_event()
    qtbot.waitUntil(
        lambda: "data" in json.loads(window.controller.text())["data"]["attributes"]["profile"],
        timeout=3000,
    )
    # a flat file opened now keeps its text; the picker follows its layout
    path = tmp_path / "old.json"
    path.write_text(json.dumps(sample_event()))
    window.open_path(path)
    qtbot.waitUntil(lambda: window.target_bar.revision() == "2023-01-24", timeout=3000)
    assert json.loads(window.controller.text()) == json.loads(path.read_text())
    window.controller.mark_saved()


def test_the_first_event_comes_in_the_default_revisions_shape(qtbot, make_window, data_dir):
    """A user whose default revision is a current one starts with a valid sample event in
    that revision's shape, not the flat 2023-01-24 one that the revision refuses."""
    from composer.storage import open_storage

    storage = open_storage(data_dir)
    storage.settings.update(default_revision="2026-07-15")
    storage.close()
    window = make_window()
    assert window.target_bar.revision() == "2026-07-15"
    attributes = json.loads(window.controller.text())["data"]["attributes"]
    assert attributes["profile"]["data"]["attributes"]["email"]
    assert attributes["metric"]["data"]["attributes"]["name"]
    report = Validator("2026-07-15").validate_payload(json.loads(window.controller.text()))
    assert [f.message for f in report.findings if f.severity.value == "error"] == []
    window.controller.mark_saved()


def test_a_nested_field_emptied_again_leaves_no_empty_object(composer: Any, qtbot: Any) -> None:
    """Typing a city makes the profile's location object; deleting the city again takes the
    location away too: the Form shows no location, so none is sent (it used to send
    "location": {})."""
    from PySide6.QtCore import Qt

    controller, widget = composer
    controller.convert_to_revision("2026-07-15")
    before = controller.text()
    form = widget.form
    form.more_profile.setChecked(True)
    city = form.profile_edits["location.city"]
    city.setFocus()
    qtbot.keyClicks(city, "Bo")
    assert body(controller)["data"]["attributes"]["profile"]["data"]["attributes"]["location"] == {
        "city": "Bo"
    }
    qtbot.keyClick(city, Qt.Key.Key_Backspace)
    qtbot.keyClick(city, Qt.Key.Key_Backspace)
    assert controller.text() == before
    # a location with another member keeps it
    form.profile_edits["location.zip"].setFocus()
    qtbot.keyClicks(form.profile_edits["location.zip"], "02110")
    city.setFocus()
    qtbot.keyClicks(city, "X")
    qtbot.keyClick(city, Qt.Key.Key_Backspace)
    attrs = body(controller)["data"]["attributes"]["profile"]["data"]["attributes"]
    assert attrs["location"] == {"zip": "02110"}


def test_a_finding_about_the_location_object_is_on_its_first_field(
    composer: Any, qtbot: Any
) -> None:
    """ "location must be an object" marked no field and its click left the Form."""
    from PySide6.QtWidgets import QApplication

    controller, widget = composer
    controller.convert_to_revision("2026-07-15")
    controller.edit("set_value", f"{REL}/location", "Boston")
    controller.validate_now()
    (finding,) = [f for f in controller.findings() if f.pointer == f"{REL}/location"]
    form = widget.form
    assert form.focus_finding(finding)
    assert form.more_profile.isChecked()
    first = form.profile_edits["location.address1"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=3000)
    assert "location" in form.rows["location.address1"].message.text()


def test_members_with_no_field_are_named_above_the_fields(composer: Any, qtbot: Any) -> None:
    """A profile named by its Klaviyo id (or any member this revision's Form has no field
    for) is sent: the Form says so instead of showing an event without it."""
    controller, widget = composer
    form = widget.form
    assert form._unshown is None or form._unshown.isHidden()
    controller.convert_to_revision("2026-07-15")
    controller.edit("set_value", "/data/attributes/profile/data/id", "01HXPROFILE")
    label = form._unshown
    assert label is not None and label.isVisible()
    assert "profile.data.id" in label.text() and "Raw JSON" in label.text()
    # it sits above the fields: seen without scrolling
    assert (
        label.mapTo(form, label.rect().topLeft()).y()
        < form.rows["email"].mapTo(form, form.rows["email"].rect().topLeft()).y()
    )
    controller.undo()
    assert label.isHidden()


def test_a_member_given_twice_is_named_when_the_switch_keeps_it_once(qtbot, make_window):
    """Switching the revision rewrites the event from its parse, which keeps the last of a
    member given twice: the status bar says so (it was dropped without a word)."""
    window = make_window(revision="2023-01-24")
    event = sample_event()
    text = json.dumps(event, indent=2).replace(
        '"$first_name": "Ann"', '"Plan": "Gold", "Plan": "Silver", "$first_name": "Ann"'
    )
    window.controller.load_text(text)
    window.target_bar.set_revision("2026-07-15")
    message = window.statusBar().currentMessage()
    assert "Converted the event" in message
    assert "profile.Plan given twice, the last kept" in message
    props = json.loads(window.controller.text())["data"]["attributes"]["profile"]["data"]
    assert props["attributes"]["properties"] == {"Plan": "Silver"}
    window.controller.mark_saved()
