"""Property tests of the editing model: for random JSON documents in random layouts, a random
form operation changes only the bytes of its span, the result parses to the expected value,
the kept parse matches a fresh one, and undo gives back the exact text."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.domain.findings import pointer
from composer.domain.jsontext import loads as strict_loads
from composer.editing.history import TextEdit
from composer.editing.jsontree import EditTree, iter_nodes
from composer.editing.state import EditState

KEYS = st.text(st.sampled_from('abcé~/ "\\x'), min_size=0, max_size=4)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, min_size=1, max_size=5)


def render(draw: Any, value: Any, depth: int = 0) -> str:
    """``value`` as JSON text in a random layout: random blanks, number spellings, escapes."""
    blank = draw(st.sampled_from(["", " ", "\n", "\n  ", "\t", "  "]))
    if isinstance(value, dict):
        if not value:
            return "{" + blank + "}"
        parts = []
        for key, item in value.items():
            key_text = json.dumps(key, ensure_ascii=draw(st.booleans()))
            colon = draw(st.sampled_from([":", ": ", " : "]))
            parts.append(blank + key_text + colon + render(draw, item, depth + 1))
        return "{" + ",".join(parts) + draw(st.sampled_from(["", "\n", " "])) + "}"
    if isinstance(value, list):
        if not value:
            return "[" + blank + "]"
        items = [blank + render(draw, item, depth + 1) for item in value]
        return "[" + ",".join(items) + draw(st.sampled_from(["", "\n"])) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return draw(st.sampled_from([str(value), f"{value}.0", f"{value}e0"]))
    if isinstance(value, float):
        spelled = repr(value)
        return draw(st.sampled_from([spelled, spelled if "e" in spelled else spelled + "0"]))
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


def ordered(text: str) -> Any:
    """The value with every object as its list of members, in order."""
    return json.loads(text, object_pairs_hook=list)


def assert_tree_matches(state: EditState) -> None:
    """The kept (incrementally updated) parse is the parse of the text."""
    tree = state.tree()
    assert tree is not None
    fresh, _ = EditTree.parse(state.text)
    kept = {(p, n.start + b, n.end + b) for p, n, b in iter_nodes(tree.root)}
    assert kept == {(p, n.start + b, n.end + b) for p, n, b in iter_nodes(fresh.root)}
    assert state.value() == json.loads(state.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_form_operation_changes_only_its_span(data: Any) -> None:
    doc = data.draw(DOCUMENTS)
    text = render(data.draw, doc)
    state = EditState(text)
    assert state.value() == doc
    expected = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(paths(doc)))
    ptr = pointer(list(path))
    span = state.span(ptr)
    assert span is not None
    op = data.draw(st.sampled_from(["set", "remove", "insert", "rename", "move", "duplicate"]))
    parent_path, last = path[:-1], (path[-1] if path else None)
    parent_span = state.span(pointer(list(parent_path))) if path else None
    if op == "set" or not path:
        new = data.draw(VALUES)
        edit = state.set_value(ptr, new)
        if path:
            get(expected, parent_path)[last] = new
        else:
            expected = new
        lo, hi = span.value_start, span.value_end
    elif op == "remove":
        edit = state.remove(ptr)
        del get(expected, parent_path)[last]
        assert parent_span is not None
        lo, hi = parent_span.value_start + 1, parent_span.value_end - 1
    elif op == "insert":
        holder = get(doc, path)
        new = data.draw(VALUES)
        if isinstance(holder, dict):
            key = data.draw(KEYS.filter(lambda k: k not in holder))
            edit = state.insert(ptr, key, new)
            get(expected, path)[key] = new
        elif isinstance(holder, list):
            at = data.draw(st.integers(0, len(holder)))
            edit = state.insert(ptr, None, new, at)
            get(expected, path).insert(at, new)
        else:
            edit = state.insert(ptr, None, new)
            assert edit is None
            return
        lo, hi = span.value_start + 1, span.value_end - 1
    elif op == "rename":
        parent = get(doc, parent_path)
        if not isinstance(parent, dict):
            assert state.rename(ptr, "x") is None
            return
        key = data.draw(KEYS.filter(lambda k: k not in parent))
        edit = state.rename(ptr, key)
        renamed = {(key if k == last else k): v for k, v in get(expected, parent_path).items()}
        if parent_path:
            get(expected, parent_path[:-1])[parent_path[-1]] = renamed
        else:
            expected = renamed
        assert span.key_start is not None and span.key_end is not None
        lo, hi = span.key_start, span.key_end
    elif op == "move":
        parent = get(expected, parent_path)
        step = data.draw(st.sampled_from([-1, 1]))
        edit = state.move(ptr, step)
        items = list(parent.items()) if isinstance(parent, dict) else list(parent)
        i = list(parent).index(last) if isinstance(parent, dict) else last
        if not 0 <= i + step < len(items):
            assert edit is None
            return
        items[i], items[i + step] = items[i + step], items[i]
        if isinstance(parent, dict):
            parent.clear()
            parent.update(items)
        else:
            parent[:] = items
        assert parent_span is not None
        lo, hi = parent_span.value_start + 1, parent_span.value_end - 1
    else:  # duplicate
        result = state.duplicate(ptr)
        assert result is not None
        edit, copy_ptr = result
        parent = get(expected, parent_path)
        if isinstance(parent, dict):
            items = list(parent.items())
            i = [k for k, _ in items].index(last)
            name = copy_ptr.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
            items.insert(i + 1, (name, copy.deepcopy(parent[last])))
            parent.clear()
            parent.update(items)
        else:
            parent.insert(last + 1, copy.deepcopy(parent[last]))
        assert parent_span is not None
        lo, hi = parent_span.value_start + 1, parent_span.value_end - 1
    if edit is None:  # nothing to change (the same value again)
        assert state.text == text
        return
    # Only the bytes of the span changed; the rest of the text is byte for byte the same.
    assert lo <= edit.start <= edit.end <= hi
    assert state.text == text[: edit.start] + edit.new + text[edit.end :]
    assert json.loads(state.text) == expected
    assert ordered(state.text) == ordered(json.dumps(expected))  # member order too
    assert_tree_matches(state)
    assert state.undo()
    assert state.text == text
    assert_tree_matches(state)


def test_layout_of_new_members_follows_the_neighbours() -> None:
    state = EditState('{\n\t"a": 1,\n\t"b": {}\n}')
    state.insert("", "c", [1, 2])
    state.set_value("/b/x", "y")
    assert (
        state.text == '{\n\t"a": 1,\n\t"b": {\n\t\t"x": "y"\n\t},\n\t"c": [\n\t\t1,\n\t\t2\n\t]\n}'
    )
    minified = EditState('{"a":1,"b":{"c":2}}')
    minified.set_value("/b/d", [True])
    minified.remove("/a")
    assert minified.text == '{"b":{"c":2,"d":[true]}}'


def test_spellings_and_duplicates_survive_another_edit() -> None:
    text = '{"p": 10.50, "e": 1e3, "s": "caf\\u00e9", "d": 1, "d": 2, "x": "old"}'
    state = EditState(text)
    state.set_value("/x", "new")
    assert state.text == text.replace('"old"', '"new"')
    assert state.value()["d"] == 2
    state.set_json("/d", "3")  # the kept (last) "d"; the ignored one stays too
    assert state.text.count('"d"') == 2 and json.loads(state.text)["d"] == 3


def test_nothing_changes_a_text_that_does_not_parse() -> None:
    state = EditState('{"a": ')
    assert state.set_value("/a", 1) is None
    assert state.remove("/a") is None
    assert state.text == '{"a": '


SNIPPETS = st.sampled_from(
    ["", " ", "\n", ",", "1", '"k": 2,', ', "k": 2', "[]", "{}", '"', "0,", ", 3"]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_typing_anywhere_keeps_the_parse_right(data: Any) -> None:
    """Raw edits of any kind: the kept parse is always the parse of the text (or none)."""
    doc = data.draw(DOCUMENTS)
    text = render(data.draw, doc)
    state = EditState(text)
    assert state.parses()
    for _ in range(3):
        start = data.draw(st.integers(0, len(state.text)))
        end = data.draw(st.integers(start, min(len(state.text), start + 8)))
        state.apply(TextEdit(start, end, data.draw(SNIPPETS)), "typing", group="typing")
        try:
            expected = strict_loads(state.text)  # the app's reader: no lone surrogates
        except ValueError:
            assert not state.parses()
            continue
        assert state.parses()
        assert state.value() == expected
        assert_tree_matches(state)


def test_blanks_typed_at_the_edge_of_a_value_move_its_start() -> None:
    for text, (start, end, new) in [
        ('{"":{"a":0.0}}', (9, 11, " ")),
        ("[1, 2 ]", (1, 2, " 1")),
        (' {"a": [ 1 ]} ', (9, 10, "  2 ")),
    ]:
        state = EditState(text)
        assert state.parses()
        state.apply(TextEdit(start, end, new), "typing", group="typing")
        assert_tree_matches(state)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_members_pasted_at_once_change_only_their_object(data: Any) -> None:
    """A pasted object: the members the object has get their new values in one edit, the
    new ones are added in one edit, as written; every other byte stays."""
    doc = data.draw(DOCUMENTS)
    text = render(data.draw, doc)
    state = EditState(text)
    objects = [p for p in paths(doc) if isinstance(get(doc, p), dict)]
    path = data.draw(st.sampled_from(objects))
    ptr = pointer(list(path))
    holder = get(doc, path)
    span = state.span(ptr)
    assert span is not None
    kept = data.draw(st.lists(st.sampled_from(sorted(holder)), unique=True)) if holder else []
    added = data.draw(st.lists(KEYS.filter(lambda k: k not in holder), unique=True, max_size=3))
    values = {key: data.draw(VALUES) for key in [*kept, *added]}
    written = {key: render(data.draw, value) for key, value in values.items()}
    expected = copy.deepcopy(doc)
    get(expected, path).update(values) if path else expected.update(values)
    state.set_members(ptr, [(k, written[k]) for k in kept])
    state.insert_members(ptr, [(k, written[k]) for k in added])
    before, after = text[: span.value_start], text[span.value_end :]
    assert state.text.startswith(before) and state.text.endswith(after)
    assert json.loads(state.text) == expected
    for key in values:  # each value as written (its line breaks placed at its depth)
        placed = state.source_at(pointer([*path, key]))
        assert placed is not None
        assert _unbroken(placed) == _unbroken(written[key].strip())
    assert_tree_matches(state)
    while state.undo():
        pass
    assert state.text == text


def _unbroken(text: str) -> str:
    """JSON text without its line breaks and the indentation after them (only blanks)."""
    return re.sub(r"\n[ \t]*", "", text)


def test_removing_the_last_member_of_its_holders_removes_them_too() -> None:
    text = '{"p": {"name": "Ann", "location": {"city": "Boston"}}}'
    state = EditState(text)
    state.remove("/p/location/city", holders=1)
    assert state.text == '{"p": {"name": "Ann"}}'
    state.undo()
    assert state.text == text
    # a holder with other members stays, and so does one past the count
    two = EditState('{"p": {"location": {"city": "Boston", "zip": "02110"}}}')
    two.remove("/p/location/city", holders=1)
    assert json.loads(two.text) == {"p": {"location": {"zip": "02110"}}}
    deep = EditState('{"p": {"location": {"city": "Boston"}}}')
    deep.remove("/p/location/city", holders=1)
    assert deep.text == '{"p": {}}'


def test_a_member_set_through_an_array_replaces_it_like_a_scalar() -> None:
    """A Form field whose object is an array in the text ("profile": []) writes its value:
    it used to change nothing while the field showed what was typed."""
    for holder in ("[]", "[1, 2]", '"x"', "null"):
        state = EditState('{"a": {"profile": ' + holder + ', "z": 1}}')
        assert state.set_value("/a/profile/$email", "ann@example.com") is not None
        assert json.loads(state.text) == {"a": {"profile": {"$email": "ann@example.com"}, "z": 1}}
        state.undo()
        assert json.loads(state.text)["a"]["profile"] == json.loads(holder)
    # an element of an array is still set or appended by its index
    items = EditState('{"items": [1]}')
    items.set_value("/items/1", 2)
    assert json.loads(items.text) == {"items": [1, 2]}
    assert items.set_value("/items/5", 3) is None


def test_a_character_the_raw_json_editor_cannot_hold_is_written_as_its_escape() -> None:
    """U+2029 (and Qt's frame markers U+FDD0/U+FDD1) would become a line end in the Raw
    JSON editor and break the string: a form edit writes the escape, the same value."""
    state = EditState('{"a": "x"}')
    edit = state.set_value("/a", "one\u2029two\ufdd0")
    assert edit is not None and "\u2029" not in edit.new
    assert state.text == '{"a": "one\\u2029two\\ufdd0"}'
    assert state.value() == {"a": "one\u2029two\ufdd0"}
