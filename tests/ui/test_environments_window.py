"""Environments and variables in the window: the switcher sets target, account, revision and
variables at once, production is unmistakable, the wheel cannot switch it, the composer shows
resolved values beside templates and unknown variables as errors, and every Send resolves
afresh while the history keeps the template and the exact bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composer.domain.environments import Environment, write_environment_file
from composer.domain.rule_ids import VARIABLE_UNKNOWN
from tests.ui.test_wheel import wheel_over

pytestmark = pytest.mark.usefixtures("qloop")

TEMPLATE = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "{{$randomEmail}}"},
            "metric": {"name": "Placed Order at {{store}}"},
            "properties": {"OrderId": "{{$uuid}}"},
            "unique_id": "{{$uuid}}",
        },
    }
}


@pytest.fixture
def environments(data_dir: Path) -> Path:
    # with --data-dir (the tests' storage), the user's environments live in DIR/environments
    folder = data_dir / "environments"
    write_environment_file(
        folder / "staging.json",
        Environment(
            "staging",
            target="sandbox",
            email_domain="qa.shop.example",
            variables={"store": "Berlin"},
        ),
    )
    write_environment_file(
        folder / "next.json", Environment("next", target="sandbox", revision="2024-10-15")
    )
    write_environment_file(
        folder / "live.json", Environment("live", target="production", variables={"store": "P"})
    )
    return folder


def choose(window: Any, name: str | None) -> None:
    """Pick an environment as a user does (the combo's activated signal)."""
    combo = window.target_bar.environment_combo
    index = combo.findData(name) if name else 0
    assert index >= 0, f"{name} is not offered"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def load_template(qtbot: Any, window: Any) -> None:
    window.controller.load_text(json.dumps(TEMPLATE, indent=2))
    qtbot.waitUntil(lambda: window.controller.resolution() is not None, timeout=3000)


def test_switching_environment_sets_target_revision_and_variables(qtbot, make_window, environments):
    window = make_window(revision="2023-01-24")  # TEMPLATE is in its flat layout
    bar = window.target_bar
    offered = [bar.environment_combo.itemText(i) for i in range(bar.environment_combo.count())]
    assert offered[:4] == ["No environment", "⚠ live (PRODUCTION)", "next", "staging"]
    load_template(qtbot, window)
    # without an environment {{store}} is unknown: an error on its field, blocking Send
    unknown = [f for f in window.controller.findings() if f.rule == VARIABLE_UNKNOWN]
    assert [f.pointer for f in unknown] == ["/data/attributes/metric/name"]
    assert window.controller.has_errors()
    assert "{{store}} has no value" in window.composer.problems.list.item(0).text()

    choose(window, "staging")

    assert bar.environment() == "staging" and bar.target().label == "sandbox"
    qtbot.waitUntil(
        lambda: not [f for f in window.controller.findings() if f.rule == VARIABLE_UNKNOWN],
        timeout=3000,
    )
    form = window.composer.form
    rows = form.rows
    qtbot.waitUntil(rows["metric_name"].hint.isVisible, timeout=3000)
    assert rows["metric_name"].hint.text() == "→ Placed Order at Berlin"
    assert 'from the environment "staging"' in rows["metric_name"].hint.toolTip()
    email_key = next(k for k in form.profile_edits if "email" in k)
    assert rows[email_key].hint.text().endswith("@qa.shop.example")
    # the text itself is untouched: the template stays a template
    assert "{{store}}" in window.controller.text()

    choose(window, None)
    qtbot.waitUntil(window.controller.has_errors, timeout=3000)
    assert not rows["metric_name"].hint.isVisible()

    # an environment's revision switches the revision (and converts the event, as the picker)
    choose(window, "next")
    qtbot.waitUntil(lambda: bar.revision() == "2024-10-15", timeout=3000)
    assert window.controller.revision() == "2024-10-15"
    window.controller.mark_saved()  # closing must not ask about the converted event


def test_a_production_environment_is_unmistakable(qtbot, make_window, environments):
    window = make_window()
    bar = window.target_bar
    choose(window, "live")
    assert bar.target().is_klaviyo
    assert bar.badge.property("targetKind") == "production"
    assert bar.send_button.text().startswith("Send to production")
    assert bar.environment_combo.property("production") is True
    assert "⚠" in bar.environment_combo.currentText()
    choose(window, "staging")
    assert bar.environment_combo.property("production") is False
    assert bar.target().label == "sandbox"


def test_the_wheel_over_the_environment_switcher_changes_nothing(qtbot, make_window, environments):
    window = make_window()
    combo = window.target_bar.environment_combo
    assert not combo.hasFocus()
    wheel_over(combo, -1)
    wheel_over(combo, -1)
    assert combo.currentIndex() == 0 and window.target_bar.environment() is None
    assert window.target_bar.target().label == "sandbox"


def test_a_hostile_environment_file_is_named_and_the_others_stay(qtbot, make_window, environments):
    (environments / "leaky.json").write_text('{"variables": {"k": "pk_' + "z9" * 12 + '"}}')
    window = make_window()
    combo = window.target_bar.environment_combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert "leaky" not in names and "staging" in names
    qtbot.waitUntil(lambda: "leaky.json" in window.statusBar().currentMessage(), timeout=3000)
    assert "private API key" in window.statusBar().currentMessage()
    assert "z9z9" not in window.statusBar().currentMessage()


def test_each_send_resolves_afresh_and_the_history_keeps_template_and_bytes(
    qtbot, make_window, environments
):
    from tests.flows.test_send_flows import send_and_wait

    window = make_window(revision="2023-01-24")  # TEMPLATE is in its flat layout
    choose(window, "staging")
    load_template(qtbot, window)
    template = window.controller.text()

    assert send_and_wait(qtbot, window).status == 202
    assert send_and_wait(qtbot, window).status == 202

    store = window.storage.history
    qtbot.waitUntil(lambda: store.count() == 2, timeout=5000)
    second, first = (store.get(r.id) for r in store.page())
    assert first.template == second.template == template
    assert first.row.environment == "staging"
    sent = [json.loads(e.request.body) for e in (first, second)]
    assert all(s["data"]["attributes"]["metric"]["name"] == "Placed Order at Berlin" for s in sent)
    ids = [s["data"]["attributes"]["properties"]["OrderId"] for s in sent]
    assert ids[0] != ids[1] and "{{" not in ids[0]

    # load into the composer: the template; Resend exactly: the recorded bytes
    window.history_part.load_entry(first)
    qtbot.waitUntil(lambda: window.controller.text() == template, timeout=3000)
    with qtbot.waitSignal(window.sendFinished, timeout=10_000):
        window.history_part.resend_entry(first)
    qtbot.waitUntil(lambda: store.count() == 3, timeout=5000)
    resent = store.get(store.page()[0].id)
    assert resent is not None and resent.request.body == first.request.body


def test_the_raw_editor_marks_variables_and_tells_their_value(qtbot, make_window, environments):
    window = make_window()
    choose(window, "staging")
    load_template(qtbot, window)
    composer = window.composer
    composer.show_raw()
    editor = composer.raw_editor
    qtbot.waitUntil(lambda: len(editor._variables) == 4, timeout=3000)
    text = window.controller.document_text()
    cursor = editor.textCursor()
    cursor.setPosition(text.index("{{store}}") + 3)
    editor.setTextCursor(cursor)
    qtbot.waitUntil(lambda: "Berlin" in composer.cursor_problem.text(), timeout=3000)
    assert '{{store}} → "Berlin"' in composer.cursor_problem.text()


def test_an_open_collection_brings_its_own_environments(qtbot, make_window, environments, tmp_path):
    root = tmp_path / "shop"
    (root / "orders").mkdir(parents=True)
    (root / "orders" / "placed.event.json").write_text(json.dumps(TEMPLATE, indent=2) + "\n")
    write_environment_file(
        root / "environments" / "ci.json", Environment("ci", variables={"store": "CI"})
    )
    window = make_window()
    combo = window.target_bar.environment_combo
    assert combo.findData("staging") > 0  # the user's own, while no collection is open
    window.collections_part.open_collection(root)
    qtbot.waitUntil(lambda: combo.findData("ci") > 0, timeout=5000)
    assert combo.findData("staging") < 0
    choose(window, "ci")
    load_template(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.controller.resolution() is not None
            and window.controller.resolution().strings.get("/data/attributes/metric/name")
            == "Placed Order at CI"
        ),
        timeout=3000,
    )
