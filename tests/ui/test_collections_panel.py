"""The collections side panel on the real window: real collection folders in tmp, the real
settings file, the panel's keys and menus as a user uses them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QLineEdit

from composer.services.collection_outline import read_outline
from composer.storage.collections import Collection
from composer.ui.collection_model import BADGE_ROLE, CollectionTreeModel, Kind
from tests.ui.window_fixtures import choose_file, click_button, message_box

MOD = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
EVENT = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "ann@example.com"},
            "metric": {"name": "Placed Order"},
            "properties": {"Brand": "Kids Book"},
        },
    }
}


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A collection as a team writes it: a byte-order mark, Windows line ends and no final
    newline in one file, expectations beside two requests, a subfolder."""
    root = tmp_path / "checkout"
    body = json.dumps(EVENT, indent=4).replace("\n", "\r\n")
    _write(root / "placed-order.event.json", b"\xef\xbb\xbf" + body.encode())
    _write(root / "placed-order.expect.json", '{"status": 202}\n')
    _write(root / "viewed.event.json", json.dumps(EVENT) + "\n")
    bad = json.loads(json.dumps(EVENT))
    bad["data"]["attributes"]["metric"]["name"] = ""
    _write(root / "invalid" / "empty-metric.event.json", json.dumps(bad, indent=2) + "\n")
    _write(root / "invalid" / "empty-metric.expect.json", '{"status": 400}\n')
    return root


def _open(qtbot: Any, window: Any, root: Path) -> None:
    part = window.collections_part
    part.open_collection(root)
    qtbot.waitUntil(lambda: any(c.root == root for c in part.model.collections()), timeout=10_000)


def _rows(window: Any) -> list[tuple[str, str, str | None]]:
    """(kind, key, badge) of every row, depth first, as listed."""
    return [(n.kind.value, n.key, n.badge) for n in window.collections_part.model.nodes()]


def _select(qtbot: Any, window: Any, key: str, collection: int = 0) -> None:
    panel = window.collection_panel
    node = next(
        n
        for n in panel.model.nodes()
        if n.key == key and n.collection is panel.model.collections()[collection]
    )
    panel.select(node)
    panel.tree.setFocus()
    qtbot.waitUntil(lambda: panel.current_node() is node, timeout=10_000)


def test_a_collection_opens_from_the_file_menu_and_is_there_after_a_restart(
    qtbot, make_window, checkout
):
    window = make_window()
    assert not window.layout_parts.collections_shown()  # nothing to show on a first start
    window.menus.open_collection_action.trigger()
    choose_file(qtbot, window, "collectionDialog", checkout)
    part = window.collections_part
    qtbot.waitUntil(lambda: part.model.rowCount() == 1, timeout=10_000)
    assert window.layout_parts.collections_shown()
    assert window.menus.collections_action.isChecked()
    assert _rows(window) == [
        ("collection", "", None),
        ("request", "placed-order", "expects 202"),
        ("request", "viewed", None),
        ("folder", "invalid/", None),
        ("request", "invalid/empty-metric", "expects 400"),
    ]
    qtbot.waitUntil(
        lambda: window.storage.settings.settings.collections == (str(checkout),), timeout=10_000
    )
    settings = json.loads((window.storage.settings.path).read_text())
    assert settings["collections"] == [str(checkout)]
    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.close()

    again = make_window()
    qtbot.waitUntil(lambda: again.collections_part.model.rowCount() == 1, timeout=10_000)
    assert again.layout_parts.collections_shown()
    assert [r[1] for r in _rows(again)][:2] == ["", "placed-order"]
    # hidden with Ctrl+Shift+L, it stays hidden on the next start (its collection open)
    qtbot.keyClick(again, Qt.Key.Key_L, MOD)
    assert not again.layout_parts.collections_shown()
    with qtbot.waitSignal(again.closed, timeout=10_000):
        again.close()
    third = make_window()
    qtbot.waitUntil(lambda: third.collections_part.model.rowCount() == 1, timeout=10_000)
    assert not third.layout_parts.collections_shown()
    assert not third.menus.collections_action.isChecked()


def test_an_old_settings_file_opens_with_every_value_and_no_collection(
    qtbot, make_window, data_dir
):
    # a settings file as the release before collections wrote it
    old = {
        "version": 1,
        "accounts": ["Staging"],
        "default_account": "Staging",
        "theme": "dark",
        "recent_files": ["/tmp/a.json"],
        "verify_klaviyo": False,
    }
    (data_dir / "settings.json").write_text(json.dumps(old))
    window = make_window()
    settings = window.storage.settings.settings
    assert settings.accounts == ("Staging",)
    assert settings.theme == "dark" and settings.recent_files == ("/tmp/a.json",)
    assert settings.verify_klaviyo is False and settings.collections == ()
    assert window.storage.settings.problem is None
    assert window.collections_part.model.rowCount() == 0


def test_a_request_opens_with_enter_and_saves_back_byte_for_byte(qtbot, make_window, checkout):
    window = make_window()
    _open(qtbot, window, checkout)
    original = (checkout / "placed-order.event.json").read_bytes()
    _select(qtbot, window, "placed-order")
    qtbot.keyClick(window.collection_panel.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    assert window.controller.text() == original.decode("utf-8-sig")
    assert "placed-order (checkout)" in window.windowTitle()

    # Save with nothing changed writes the very same bytes (git sees nothing)
    window.document.save()
    qtbot.waitUntil(lambda: "Saved" in window.statusBar().currentMessage(), timeout=10_000)
    assert (checkout / "placed-order.event.json").read_bytes() == original

    # an edit in the Raw JSON is saved as the user sees it, line ends and mark kept
    window.composer.show_raw()
    editor = window.composer.raw_editor
    cursor = editor.textCursor()
    cursor.setPosition(editor.toPlainText().index("Kids Book"))
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "New ")
    qtbot.waitUntil(lambda: window.controller.is_modified, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.controller.is_modified, timeout=10_000)
    saved = (checkout / "placed-order.event.json").read_bytes()
    assert saved == b"\xef\xbb\xbf" + window.controller.text().encode()
    assert b"New Kids Book" in saved and b"\r\n" in saved and not saved.endswith(b"\n")


def test_rename_in_place_refuses_bad_and_clashing_names_with_a_message(
    qtbot, make_window, checkout
):
    window = make_window()
    _open(qtbot, window, checkout)
    tree = window.collection_panel.tree

    def rename_to(key: str, name: str) -> None:
        _select(qtbot, window, key)
        qtbot.keyClick(tree, Qt.Key.Key_F2)
        editor = qtbot.waitUntil(lambda: tree.findChild(QLineEdit) is not None, timeout=10_000)
        editor = tree.findChild(QLineEdit)
        editor.selectAll()
        qtbot.keyClicks(editor, name)
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    rename_to("viewed", "placed-order")  # taken
    qtbot.waitUntil(lambda: message_box(window, "warning") is not None, timeout=10_000)
    box = message_box(window, "warning")
    assert "placed-order.event.json already exists" in box.text()
    box.accept()
    rename_to("viewed", "a/b")
    qtbot.waitUntil(lambda: message_box(window, "warning") is not None, timeout=10_000)
    box = message_box(window, "warning")
    assert "path separator" in box.text()
    box.accept()
    assert (checkout / "viewed.event.json").exists()

    rename_to("placed-order", "order placed")
    qtbot.waitUntil((checkout / "order placed.event.json").exists, timeout=10_000)
    assert (checkout / "order placed.expect.json").read_text() == '{"status": 202}\n'
    assert not (checkout / "placed-order.event.json").exists()
    qtbot.waitUntil(
        lambda: ("request", "order placed", "expects 202") in _rows(window), timeout=10_000
    )


def test_duplicate_and_delete_with_the_keys(qtbot, make_window, checkout):
    window = make_window()
    _open(qtbot, window, checkout)
    panel = window.collection_panel
    _select(qtbot, window, "invalid/empty-metric")
    qtbot.keyClick(panel.tree, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    copy = checkout / "invalid" / "empty-metric copy.event.json"
    qtbot.waitUntil(
        lambda: "invalid/empty-metric copy" in [r[1] for r in _rows(window)], timeout=10_000
    )
    assert copy.read_bytes() == (checkout / "invalid" / "empty-metric.event.json").read_bytes()
    assert (checkout / "invalid" / "empty-metric copy.expect.json").exists()

    # the request open in the composer is deleted: the composer keeps its text, unsaved
    _select(qtbot, window, "viewed")
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    text = window.controller.text()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: message_box(window, "confirmDelete") is not None, timeout=10_000)
    click_button(message_box(window, "confirmDelete"), "Cancel")
    QApplication.processEvents()
    assert (checkout / "viewed.event.json").exists()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: message_box(window, "confirmDelete") is not None, timeout=10_000)
    box = message_box(window, "confirmDelete")
    assert "viewed.event.json" in box.text()
    click_button(box, "Delete")
    qtbot.waitUntil(lambda: not (checkout / "viewed.event.json").exists(), timeout=10_000)
    qtbot.waitUntil(lambda: window.document.request is None, timeout=10_000)
    assert window.controller.text() == text and window.controller.is_modified
    qtbot.waitUntil(lambda: "viewed" not in [r[1] for r in _rows(window)], timeout=10_000)
    window.controller.mark_saved()  # the window closes without asking


def test_drag_to_reorder_and_into_a_folder_keeps_the_order_in_order_json(
    qtbot, make_window, checkout
):
    window = make_window()
    _open(qtbot, window, checkout)
    model = window.collections_part.model
    viewed = model.index_of(model.collections()[0], "viewed")
    top = model.index_of(model.collections()[0], "")
    # dropped above placed-order (row 0 of the collection), as the view drops it
    data = model.mimeData([viewed])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, top)
    qtbot.waitUntil((checkout / "order.json").exists, timeout=10_000)
    qtbot.waitUntil(lambda: [r[1] for r in _rows(window)][1] == "viewed", timeout=10_000)
    assert json.loads((checkout / "order.json").read_text()) == [
        "viewed",
        "placed-order",
        "invalid/",
    ]
    # onto a folder: the request moves into it (files and expectation)
    order = model.index_of(model.collections()[0], "placed-order")
    folder = model.index_of(model.collections()[0], "invalid/")
    assert model.dropMimeData(model.mimeData([order]), Qt.DropAction.MoveAction, -1, 0, folder)
    qtbot.waitUntil(lambda: "invalid/placed-order" in [r[1] for r in _rows(window)], timeout=10_000)
    assert (checkout / "invalid" / "placed-order.expect.json").exists()
    assert not (checkout / "placed-order.event.json").exists()


def test_save_to_collection_then_save_writes_to_the_new_request(qtbot, make_window, checkout):
    window = make_window()
    _open(qtbot, window, checkout)
    _select(qtbot, window, "invalid/")
    window.menus.save_to_collection_action.trigger()
    qtbot.waitUntil(lambda: _dialog(window) is not None, timeout=10_000)
    dialog = _dialog(window)
    assert dialog.choice().folder_key == "invalid/"  # the chosen row's folder
    dialog.name.setText("empty-metric")
    assert "already has a request" in dialog.problem.text()
    dialog.name.setText("sent from the window")
    assert dialog.name_problem() is None
    dialog.accept()
    target = checkout / "invalid" / "sent from the window.event.json"
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    assert target.read_bytes() == window.controller.text().encode()
    assert window.document.request[1] == "invalid/sent from the window"
    window.controller.edit("set_value", "/data/attributes/properties/Brand", "Other")
    window.document.save()
    qtbot.waitUntil(lambda: b"Other" in target.read_bytes(), timeout=10_000)
    assert target.read_bytes() == window.controller.text().encode()


def _dialog(window: Any) -> Any:
    from composer.ui.save_to_collection import SaveToCollectionDialog

    found = [d for d in window.findChildren(SaveToCollectionDialog) if d.isVisible()]
    return found[0] if found else None


def test_two_collections_open_side_by_side_and_one_closes(qtbot, make_window, checkout, tmp_path):
    other = tmp_path / "signup"
    _write(other / "subscribed.event.json", json.dumps(EVENT))
    window = make_window()
    _open(qtbot, window, checkout)
    _open(qtbot, window, other)
    model = window.collections_part.model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["checkout", "signup"]
    node = model.node(model.index(0, 0))
    menu = window.collection_panel.menu_for(node)
    next(a for a in menu.actions() if a.objectName() == "closeCollection").trigger()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(
        lambda: window.storage.settings.settings.collections == (str(other),), timeout=3000
    )
    assert (checkout / "placed-order.event.json").exists()  # closing deletes nothing


def test_the_filter_keeps_matching_requests_and_their_folders(qtbot, make_window, checkout):
    window = make_window()
    _open(qtbot, window, checkout)
    panel = window.collection_panel
    panel.filter.setText("EMPTY")
    proxy = panel.proxy
    shown = []

    def walk(parent: QModelIndex) -> None:
        for row in range(proxy.rowCount(parent)):
            index = proxy.index(row, 0, parent)
            shown.append(index.data())
            walk(index)

    walk(QModelIndex())
    assert shown == ["checkout", "invalid", "empty-metric"]


def test_the_tree_model_keeps_the_item_model_rules(qtbot, checkout):
    model = CollectionTreeModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    collection = Collection(checkout)
    model.set_listing(read_outline(collection))
    model.set_listing(read_outline(Collection(checkout.parent / "checkout")))
    index = model.index_of(collection, "invalid/empty-metric")
    assert index.data(BADGE_ROLE) == "expects 400"
    assert model.node(index).kind is Kind.REQUEST
    model.set_result(collection, "invalid/empty-metric", False)
    model.remove_collection(collection)
    del tester


def test_new_request_lands_in_the_chosen_folder_opened_and_ready_to_name(
    qtbot, make_window, checkout
):
    window = make_window()
    _open(qtbot, window, checkout)
    panel = window.collection_panel
    _select(qtbot, window, "invalid/empty-metric")
    panel.new_button.click()
    made = checkout / "invalid" / "new request.event.json"
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    assert window.document.request[1] == "invalid/new request"
    assert made.read_bytes() == window.controller.text().encode()
    # its name is ready to type over
    qtbot.waitUntil(lambda: panel.tree.findChild(QLineEdit) is not None, timeout=10_000)
    editor = panel.tree.findChild(QLineEdit)
    assert editor.text() == "new request"
    editor.setText("gift card")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.request[1] == "invalid/gift card", timeout=10_000)
    assert (checkout / "invalid" / "gift card.event.json").exists() and not made.exists()


def test_files_changed_outside_show_up_when_the_app_comes_back_to_the_front(
    qtbot, make_window, checkout
):
    window = make_window()
    _open(qtbot, window, checkout)
    # a `git pull` while the app is in the background
    _write(checkout / "from-git.event.json", json.dumps(EVENT))
    (checkout / "viewed.event.json").unlink()
    app = QApplication.instance()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    qtbot.waitUntil(lambda: "from-git" in [r[1] for r in _rows(window)], timeout=10_000)
    assert "viewed" not in [r[1] for r in _rows(window)]


def test_save_to_collection_with_none_open_starts_one_in_the_folder_chosen(
    qtbot, make_window, tmp_path
):
    folder = tmp_path / "new-suite"
    folder.mkdir()
    window = make_window()
    window.menus.save_to_collection_action.trigger()
    choose_file(qtbot, window, "collectionDialog", folder)
    qtbot.waitUntil(lambda: _dialog(window) is not None, timeout=10_000)
    dialog = _dialog(window)
    assert dialog.request_name() == "viewed-product"  # the sample's metric, as a file name
    dialog.accept()
    target = folder / "viewed-product.event.json"
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    assert target.read_bytes() == window.controller.text().encode()
    assert window.storage.settings.settings.collections == (str(folder),)
    assert "viewed-product (new-suite)" in window.windowTitle()


@pytest.mark.parametrize("size", [(1280, 800), (1024, 700)])
def test_the_panel_leaves_the_composer_its_room(qtbot, make_window, checkout, size):
    from tests.ui.test_window_layout import PROPERTIES_VISIBLE_PX, sized, visible_in

    window = make_window()
    sized(qtbot, window, *size)
    _open(qtbot, window, checkout)
    assert window.layout_parts.collections_shown()
    form = window.composer.form
    area = form.scroll_area
    area.verticalScrollBar().setValue(0)
    viewport = area.viewport()

    def composer_has_its_room() -> None:  # once the layout has run
        assert not area.horizontalScrollBar().isVisible()
        assert area.widget().minimumSizeHint().width() <= viewport.width(), "the form is cut"
        if size == (1280, 800):  # the issue 11 rule: profile, metric and properties in view
            email = form.profile_edits["email"]  # a fresh start: the newest layout
            assert visible_in(viewport, email).height() == email.height()
            assert visible_in(viewport, form.metric_combo).height() == form.metric_combo.height()
            shown = visible_in(viewport, form.properties_tree.tree).height()
            assert shown >= PROPERTIES_VISIBLE_PX, f"only {shown} px of the properties show"

    qtbot.waitUntil(composer_has_its_room, timeout=5000)
    # the panel's own buttons are whole
    for button in (window.collection_panel.open_button, window.collection_panel.run_button):
        need = button.fontMetrics().horizontalAdvance(button.text())
        assert need <= button.contentsRect().width()


def test_a_request_opened_from_a_collection_resolves_the_collections_own_variables(
    qtbot, make_window, checkout
):
    # collection.json gives {{campaign}}; the composer resolves it as `event-composer run` does
    _write(checkout / "collection.json", '{"variables": {"campaign": "WELCOME"}}\n')
    body = json.loads(json.dumps(EVENT))
    body["data"]["attributes"]["properties"] = {"Coupon": "{{campaign}}-1"}
    _write(checkout / "coupon.event.json", json.dumps(body, indent=2) + "\n")
    window = make_window()
    _open(qtbot, window, checkout)
    _select(qtbot, window, "coupon")
    qtbot.keyClick(window.collection_panel.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.request is not None, timeout=10_000)
    report = window.controller.validate_now()
    assert not [f for f in report.findings if f.rule == "variable-unknown"], report.findings
    assert window.environments.scope().lookup("campaign") == ("WELCOME", "collection")

    # a collection.json that cannot be used is said, naming the file
    _write(checkout / "collection.json", "{not json")
    window.environments.reload()
    assert "collection.json" in window.statusBar().currentMessage()
