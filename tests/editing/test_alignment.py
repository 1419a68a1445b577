"""The property tree lines up the members of a container before and after a change: the steps
must turn the old sequence into the new one, and name the edit that was made (an item
added, removed or moved), not a rewrite of everything after it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.editing.alignment import align_items, align_members, same_value


def replay(old: list[Any], new: list[Any], steps: list[tuple[str, int, int, int, int]]) -> Any:
    """Apply the steps as the tree does (pairs take the new value); the result and the rows
    kept, as (old index, new index)."""
    rows = [("old", i) for i in range(len(old))]
    out: list[Any] = list(old)
    shift = 0
    pairs = []
    for tag, i1, i2, j1, j2 in steps:
        at = i1 + shift
        if tag in ("equal", "replace"):
            both = min(i2 - i1, j2 - j1)
            for t in range(both):
                out[at + t] = new[j1 + t]
                pairs.append((rows[at + t][1], j1 + t))
            if i2 - i1 > both:
                del out[at + both : i2 + shift], rows[at + both : i2 + shift]
            elif j2 - j1 > both:
                out[at + both : at + both] = new[j1 + both : j2]
                rows[at + both : at + both] = [("new", j) for j in range(j1 + both, j2)]
            shift += (j2 - j1) - (i2 - i1)
        elif tag == "delete":
            del out[at : i2 + shift], rows[at : i2 + shift]
            shift -= i2 - i1
        elif tag == "insert":
            out[at:at] = new[j1:j2]
            rows[at:at] = [("new", j) for j in range(j1, j2)]
            shift += j2 - j1
        else:
            last = i2 - 1 + shift
            if tag == "move_down":
                out.insert(last, out.pop(at))
                rows.insert(last, rows.pop(at))
            else:
                out.insert(at, out.pop(last))
                rows.insert(at, rows.pop(last))
            for t in range(i2 - i1):
                out[at + t] = new[j1 + t]
                pairs.append((rows[at + t][1], j1 + t))
    return out, pairs


def test_one_item_added_removed_or_moved_is_that_step() -> None:
    items = [{"n": i} for i in range(10)]
    added = [*items[:4], {"n": "new"}, *items[4:]]
    assert align_items(items, added) == [
        ("equal", 0, 4, 0, 4),
        ("insert", 4, 4, 4, 5),
        ("equal", 4, 10, 5, 11),
    ]
    removed = items[:3] + items[4:]
    assert ("delete", 3, 4, 3, 3) in align_items(items, removed)
    moved = [*items[:5], items[6], items[5], *items[7:]]
    assert ("move_down", 5, 7, 5, 7) in align_items(items, moved)
    # equal items are told apart by identity: removing the second of three equal items
    # removes that one, not the last
    same = [{"a": 1}, {"a": 1}, {"a": 1}]
    assert align_items(same, [same[0], same[2]]) == [
        ("equal", 0, 1, 0, 1),
        ("delete", 1, 2, 1, 1),
        ("equal", 2, 3, 1, 2),
    ]


def test_members_renamed_or_reordered() -> None:
    assert align_members(["a", "b", "c"], ["a", "B", "c"]) == [
        ("equal", 0, 1, 0, 1),
        ("replace", 1, 2, 1, 2),
        ("equal", 2, 3, 2, 3),
    ]
    assert align_members(["a", "b", "c", "d"], ["a", "c", "b", "d"])[1] == ("move_down", 1, 3, 1, 3)
    assert align_members(["a", "b"], ["x", "a", "y", "b", "z"]) == [
        ("insert", 0, 0, 0, 1),
        ("equal", 0, 1, 1, 2),
        ("insert", 1, 1, 2, 3),
        ("equal", 1, 2, 3, 4),
        ("insert", 2, 2, 4, 5),
    ]


def test_a_value_read_anew_is_matched_by_value_and_json_types_differ() -> None:
    old = [1, "x", {"k": [1, 2]}, True]
    new = json.loads(json.dumps(old))  # every object new, as after the text is read whole
    steps = align_items(old, new)
    assert {tag for tag, *_ in steps} == {"equal"}
    assert sum(i2 - i1 for _, i1, i2, _, _ in steps) == 4
    assert not same_value(1, True)
    assert not same_value(1, 1.0)
    assert same_value({"k": [1]}, {"k": [1]})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("xy"), inner),
    max_leaves=4,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, max_size=8), st.lists(json_values, max_size=8), st.booleans())
def test_the_steps_turn_the_old_items_into_the_new(
    old: list[Any], new: list[Any], reread: bool
) -> None:
    if reread:
        new = json.loads(json.dumps(new))
    out, pairs = replay(old, new, align_items(old, new))
    assert out == new
    assert len({o for o, _ in pairs}) == len(pairs)  # each old row goes to one place


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from("abcdefg"), unique=True, max_size=7),
    st.lists(st.sampled_from("abcdefg"), unique=True, max_size=7),
)
def test_the_steps_turn_the_old_members_into_the_new(old: list[str], new: list[str]) -> None:
    out, _pairs = replay(old, new, align_members(old, new))
    assert out == new
