"""Collections as plain files (composer.storage.collections): the listing and its order, exact
round trips, every operation the collections panel calls, and hostile folders (links out of
the folder, names no system can share, huge and unreadable files) that are reported by name
and never changed."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from composer.domain.collection_rules import copy_name, name_problem, ordered
from composer.storage.collections import (
    Collection,
    CollectionError,
    FolderItem,
    OpenCollections,
    RequestItem,
)

BODY = '{"data": {"type": "event", "attributes": {"metric": {"name": "{{metric}}"}}}}\n'


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def keys(collection: Collection, folder: str = "") -> list[str]:
    return [r.key for r in collection.requests(folder)]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    root = tmp_path / "shop"
    write(root, "b-order.event.json", BODY)
    write(root, "a-view.event.json", BODY)
    write(root, "a-view.expect.json", '{"status": 202}\n')
    write(root, "invalid/long-name.event.json", BODY)
    write(root, "invalid/long-name.expect.json", '{"status": 400}\n')
    write(root, "environments/sandbox.json", '{"target": "sandbox"}\n')
    write(root, "README.md", "notes\n")
    return Collection(root)


def test_listing_is_in_name_order_requests_before_folders(coll: Collection) -> None:
    tree = coll.tree()
    assert [c.key for c in tree.root.children] == ["a-view", "b-order", "invalid/"]
    assert keys(coll) == ["a-view", "b-order", "invalid/long-name"]
    assert keys(coll, "invalid/") == ["invalid/long-name"]
    first = tree.root.children[0]
    assert isinstance(first, RequestItem) and first.has_expectation
    assert tree.environments == ("sandbox",)
    assert tree.problems == ()  # README.md and environments/ are not requests, not problems
    assert coll.name == "shop"


def test_round_trip_is_byte_identical_and_an_unchanged_save_writes_nothing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "c"
    odd = (
        b'\xef\xbb\xbf{ "data" :{"type":"event",\r\n  "attributes": {"value": 10.50,'
        b' "x": 1e3, "caf\\u00e9": "\xc3\xa9"}}}'
    )
    path = write(root, "odd.event.json", odd)
    os.utime(path, (1_000_000, 1_000_000))
    coll = Collection(root)
    read = coll.read_request("odd")
    assert read.raw == odd
    assert not read.text.startswith("\ufeff") and "\r\n" in read.text
    assert coll.save_request("odd", read.text) is False
    assert path.read_bytes() == odd
    assert path.stat().st_mtime == 1_000_000  # not even touched
    assert coll.save_request("odd", read.text.replace("10.50", "11.50")) is True
    assert path.read_bytes() == odd.replace(b"10.50", b"11.50")  # the BOM and CRLF kept


def test_create_writes_exact_text_and_refuses_a_taken_name(coll: Collection) -> None:
    item = coll.create_request("invalid/", "empty-metric", BODY, expectation='{"status": 400}')
    assert item.key == "invalid/empty-metric" and item.has_expectation
    assert (coll.root / "invalid/empty-metric.event.json").read_text() == BODY
    assert keys(coll, "invalid") == ["invalid/empty-metric", "invalid/long-name"]
    before = snapshot(coll.root)
    with pytest.raises(CollectionError, match=re.escape("a-view.event.json already exists")):
        coll.create_request("", "a-view", "{}")
    # a leftover expectation file is someone's work too: its name is taken
    write(coll.root, "lost.expect.json", '{"status": 202}')
    with pytest.raises(CollectionError, match=re.escape("lost.expect.json already exists")):
        coll.create_request("", "lost", "{}")
    assert snapshot(coll.root) == {**before, "lost.expect.json": b'{"status": 202}'}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("..", "dot"),
        ("", "empty"),
        (".hidden", "dot"),
        ("con", "device name"),
        ("x" * 121, "at most 120"),
        ("tab\there", "control"),
        ("what?", "cannot contain ?"),
        ("trailing.", "end with"),
    ],
)
def test_names_that_cannot_be_shared_are_refused(coll: Collection, name: str, why: str) -> None:
    before = snapshot(coll.root)
    with pytest.raises(CollectionError, match=why):
        coll.create_request("", name, BODY)
    with pytest.raises(CollectionError, match=why):
        coll.rename("a-view", name)
    assert snapshot(coll.root) == before


def test_environments_is_not_a_top_level_folder_name(coll: Collection) -> None:
    with pytest.raises(CollectionError, match="holds environments"):
        coll.create_folder("", "environments")
    assert coll.create_folder("invalid", "environments").key == "invalid/environments/"


def test_rename_moves_body_and_expectations_and_keeps_the_place(coll: Collection) -> None:
    coll.reorder("", ["invalid/", "b-order", "a-view"])
    assert coll.rename("a-view", "viewed") == RequestItem("viewed", "", True)
    assert not (coll.root / "a-view.event.json").exists()
    assert (coll.root / "viewed.expect.json").read_text() == '{"status": 202}\n'
    assert keys(coll) == ["invalid/long-name", "b-order", "viewed"]
    assert json.loads((coll.root / "order.json").read_text()) == ["invalid/", "b-order", "viewed"]
    # a change of case only is a rename too
    coll.rename("viewed", "Viewed")
    assert keys(coll)[-1] == "Viewed"
    with pytest.raises(CollectionError, match=re.escape("b-order.event.json already exists")):
        coll.rename("Viewed", "b-order")


def test_rename_a_folder(coll: Collection) -> None:
    assert coll.rename("invalid/", "bad").key == "bad/"
    assert keys(coll, "bad/") == ["bad/long-name"]


def test_duplicate_copies_bytes_and_follows_the_original(coll: Collection) -> None:
    coll.reorder("", ["b-order", "a-view"])
    copy = coll.duplicate("a-view")
    assert copy == RequestItem("a-view copy", "", True)
    assert (coll.root / "a-view copy.event.json").read_bytes() == (
        coll.root / "a-view.event.json"
    ).read_bytes()
    assert coll.duplicate("a-view").name == "a-view copy 2"
    assert keys(coll) == ["b-order", "a-view", "a-view copy 2", "a-view copy", "invalid/long-name"]
    assert copy_name("x", ["x copy", "x copy 2"]) == "x copy 3"


def test_delete_a_request_and_its_expectations(coll: Collection) -> None:
    coll.reorder("", ["b-order", "a-view"])
    coll.delete("a-view")
    assert not (coll.root / "a-view.event.json").exists()
    assert not (coll.root / "a-view.expect.json").exists()
    assert json.loads((coll.root / "order.json").read_text()) == ["b-order", "invalid/"]
    with pytest.raises(CollectionError, match="no such request"):
        coll.delete("a-view")


def test_delete_a_folder_only_when_it_holds_collection_files(coll: Collection) -> None:
    write(coll.root, "invalid/deep/notes.txt", "mine")
    with pytest.raises(CollectionError, match=re.escape("deep/notes.txt, which is not part")):
        coll.delete("invalid/")
    assert (coll.root / "invalid/long-name.event.json").exists()
    (coll.root / "invalid/deep/notes.txt").unlink()
    coll.delete("invalid/")
    assert not (coll.root / "invalid").exists()


def test_move_and_reorder_keep_the_order_in_a_stable_file(coll: Collection) -> None:
    assert not (coll.root / "order.json").exists()  # name order needs no file
    coll.move("b-order", before="a-view")
    assert (
        coll.root / "order.json"
    ).read_text() == '[\n  "b-order",\n  "a-view",\n  "invalid/"\n]\n'
    assert coll.move("a-view", to_folder="invalid/", before="invalid/long-name") == (
        "invalid/a-view"
    )
    assert (coll.root / "invalid/a-view.expect.json").exists()
    assert keys(coll) == ["b-order", "invalid/a-view", "invalid/long-name"]
    assert coll.move("invalid/", before="b-order") == "invalid/"
    assert keys(coll)[0] == "invalid/a-view"
    with pytest.raises(CollectionError, match="into itself"):
        coll.move("invalid/", to_folder="invalid/")
    with pytest.raises(CollectionError, match="not an item"):
        coll.reorder("", ["nope"])


def test_order_file_names_missing_items_and_unknown_ones(coll: Collection) -> None:
    write(coll.root, "order.json", '["gone", "invalid/", "b-order"]')
    assert keys(coll) == ["invalid/long-name", "b-order", "a-view"]
    assert ordered([("b", False), ("a", True), ("A", False)], None) == [
        ("A", False),
        ("b", False),
        ("a", True),
    ]


def test_a_broken_order_file_is_reported_and_never_overwritten_by_a_rename(
    coll: Collection,
) -> None:
    write(coll.root, "order.json", "{not json")
    tree = coll.tree()
    assert [str(p) for p in tree.problems] == [
        f"order.json: {tree.problems[0].message}"
    ] and "name order" in tree.problems[0].message
    coll.rename("a-view", "viewed")
    assert (coll.root / "order.json").read_text() == "{not json"


def test_hostile_files_are_listed_as_problems_by_name(tmp_path: Path, coll: Collection) -> None:
    outside = write(tmp_path, "secret.event.json", BODY)
    os.symlink(outside, coll.root / "leak.event.json")
    os.symlink(tmp_path, coll.root / "up")
    os.symlink(coll.root / "missing", coll.root / "dangling.event.json")
    write(coll.root, "back\\slash.event.json", BODY)
    write(coll.root, "orphan.expect.json", "{}")
    os.symlink(coll.root / "invalid", coll.root / "again")  # inside: fine
    tree = coll.tree()
    problems = {p.path: p.message for p in tree.problems}
    assert "outside the collection" in problems["leak.event.json"]
    assert "outside the collection" in problems["up"]
    assert "link to nothing" in problems["dangling.event.json"]
    assert "path separator" in problems["back\\slash.event.json"]
    assert "orphan.event.json is missing" in problems["orphan.expect.json"]
    assert keys(coll) == ["a-view", "b-order", "again/long-name", "invalid/long-name"]
    with pytest.raises(CollectionError, match=r"leak\.event\.json: leads to .*outside"):
        coll.read_request("leak")
    with pytest.raises(CollectionError, match="outside"):
        coll.save_request("leak", "{}")
    assert outside.read_text() == BODY
    with pytest.raises(
        CollectionError, match=r"\.\./secret: a folder name cannot start with a dot"
    ):
        coll.read_request("../secret")


def test_unreadable_huge_and_binary_files_name_the_file(coll: Collection) -> None:
    write(coll.root, "bin.event.json", b'{"x": "\xff"}')
    with pytest.raises(CollectionError, match=r"bin.event.json: byte 7 is not UTF-8"):
        coll.read_request("bin")
    big = coll.root / "big.event.json"
    with open(big, "wb") as f:
        f.truncate(6_000_000)
    with pytest.raises(CollectionError, match=re.escape("big.event.json: 6,000,000 bytes is more")):
        coll.read_request("big")
    locked = write(coll.root, "locked.event.json", BODY)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(
            CollectionError, match=re.escape("locked.event.json: permission denied")
        ):
            coll.read_request("locked")
    finally:
        locked.chmod(0o644)


def test_a_missing_or_file_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="no such folder"):
        Collection(tmp_path / "nope").tree()
    write(tmp_path, "file.json", "{}")
    with pytest.raises(CollectionError, match="is a file, not a collection folder"):
        Collection(tmp_path / "file.json").tree()


def test_several_collections_open_at_once(tmp_path: Path, coll: Collection) -> None:
    other = tmp_path / "other"
    write(other, "x.event.json", BODY)
    shelf = OpenCollections()
    first = shelf.open(coll.root)
    second = shelf.open(other)
    assert shelf.open(str(coll.root) + "/") is first
    assert [c.name for c in shelf] == ["shop", "other"]
    assert shelf.owner_of(coll.root / "invalid/long-name.event.json") == (
        first,
        "invalid/long-name",
    )
    assert shelf.owner_of(other / "x.event.json") == (second, "x")
    assert shelf.owner_of(tmp_path / "elsewhere.event.json") is None
    shelf.close(first)
    assert len(shelf) == 1


def test_expectations_read_save_and_remove(coll: Collection) -> None:
    assert coll.read_expectation("b-order") is None
    assert coll.save_expectation("b-order", '{"status": 202}\n') is True
    assert coll.read_expectation("b-order") == '{"status": 202}\n'
    assert coll.save_expectation("b-order", '{"status": 202}\n') is False
    assert coll.save_expectation("b-order", None) is True
    assert not (coll.root / "b-order.expect.json").exists()


def test_name_rules() -> None:
    assert name_problem("placed order (EU)") is None
    assert name_problem("café") is None
    assert name_problem("x.event") is not None
    assert FolderItem("a", "a").key == "a/"


def test_collection_variables_and_a_listing_of_one_folder(coll: Collection) -> None:
    assert coll.variables() == {}
    write(coll.root, "collection.json", '{"variables": {"store": "Berlin", "n": 2}}')
    assert coll.variables() == {"store": "Berlin", "n": 2}
    write(coll.root, "collection.json", '{"variables": {"a b": 1}}')
    with pytest.raises(CollectionError, match=r"collection\.json: variables\.a b is not a usable"):
        coll.variables()
    write(coll.root, "collection.json", '{"variables": {"x": [1]}}')
    with pytest.raises(CollectionError, match="must be a string, a number or true/false"):
        coll.variables()
    tree = coll.tree("invalid/")
    assert [r.key for r in tree.root.requests()] == ["invalid/long-name"]
    assert coll.requests("invalid") == [RequestItem("long-name", "invalid", True)]
    with pytest.raises(CollectionError, match="no such folder"):
        coll.tree("nope/")


def test_the_collection_of_a_subfolder(tmp_path: Path, coll: Collection) -> None:
    from composer.storage.collections import collection_root_of

    assert collection_root_of(coll.root / "invalid") == coll.root  # it has environments/
    plain = tmp_path / "plain" / "sub"
    plain.mkdir(parents=True)
    assert collection_root_of(plain) == plain
    write(tmp_path / "plain", "collection.json", "{}")
    assert collection_root_of(plain) == tmp_path / "plain"


def test_a_pipe_named_like_a_request_is_reported_and_never_read(coll: Collection) -> None:
    os.mkfifo(coll.root / "pipe.event.json")
    problems = {p.path: p.message for p in coll.tree().problems}
    assert problems["pipe.event.json"] == "not a regular file (a device or a pipe); not read"
    assert "pipe" not in [r.name for r in coll.requests()]
    with pytest.raises(CollectionError, match=r"pipe\.event\.json: is not a regular file"):
        coll.read_request("pipe")  # returns at once: a pipe is never opened
