"""The collections panel's rows without Qt: verdicts summed up by folder, tool tips, and
what a row dropped somewhere means."""

from __future__ import annotations

from pathlib import Path

from composer.services.collection_outline import read_outline
from composer.services.collection_rows import (
    Kind,
    Move,
    Node,
    Verdicts,
    collection_node,
    find_node,
    node_tooltip,
    plan_drop,
)
from composer.storage.collections import Collection

EVENT = '{"data": {"type": "event", "attributes": {"metric": {"name": "Viewed"}}}}\n'


def _tree(tmp_path: Path, name: str = "shop") -> Node:
    root = tmp_path / name
    for key in ("a", "b", "c", "folder/inner"):
        path = root / f"{key}.event.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(EVENT)
    (root / "a.expect.json").write_text('{"status": 202}\n')
    top = Node(Kind.COLLECTION, "", "", Collection(root))
    return collection_node(read_outline(Collection(root)), top)


def _row(node: Node, key: str) -> Node:
    found = find_node(node, key)
    assert found is not None, key
    return found


def test_a_folder_sums_up_its_requests_last_runs(tmp_path: Path) -> None:
    shop = _tree(tmp_path)
    verdicts = Verdicts()
    folder = _row(shop, "folder/")
    assert verdicts.of(folder) is None and verdicts.of(shop) is None
    verdicts.set(shop.collection, "folder/inner", True)
    verdicts.set(shop.collection, "a", True)
    assert verdicts.of(folder) is True and verdicts.of(shop) is True
    verdicts.set(shop.collection, "b", False)
    assert verdicts.of(shop) is False and verdicts.of(folder) is True
    verdicts.set(shop.collection, "b", None)
    assert verdicts.of(shop) is True
    assert "Last run: a failure" in node_tooltip(folder, False)
    request = _row(shop, "c")
    assert "No expectation file: a run expects 202" in node_tooltip(request, None)
    assert node_tooltip(request, True).endswith("Last run: passed")


def test_a_row_moves_before_the_row_it_is_dropped_above(tmp_path: Path) -> None:
    shop = _tree(tmp_path)
    a, c = _row(shop, "a"), _row(shop, "c")
    assert plan_drop(c, shop, a.row()) == Move(c, "", "a")
    assert plan_drop(a, _row(shop, "folder/"), -1) == Move(a, "folder/", None)


def test_a_row_dropped_where_it_is_or_on_a_request_does_nothing(tmp_path: Path) -> None:
    shop = _tree(tmp_path)
    a, b = _row(shop, "a"), _row(shop, "b")
    assert plan_drop(a, shop, b.row()) is None  # right below itself
    assert plan_drop(a, b, -1) is None
    last = shop.children[-1]
    assert plan_drop(last, shop, -1) is None


def test_a_drop_that_cannot_be_done_says_why(tmp_path: Path) -> None:
    shop, other = _tree(tmp_path), _tree(tmp_path, "other")
    folder = _row(shop, "folder/")
    refusal = plan_drop(_row(shop, "a"), other, -1)
    assert isinstance(refusal, str) and "does not move between collections" in refusal
    into_itself = plan_drop(folder, folder, -1)
    assert into_itself == "The folder “folder” cannot go into itself."
