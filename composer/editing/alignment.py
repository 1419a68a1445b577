"""How the members of an object, or the items of an array, line up before and after a change
(no Qt): which stayed, which were added, removed, renamed or moved.

The property tree follows each change of the text with these steps instead of reading the
whole tree again: an edit in a big expanded array then changes one row, and what is expanded,
current and scrolled to stays where it is.

A change made by the editing layer re-reads only the values it touched
(:mod:`composer.editing.state`), so every other value keeps its Python object: items are
matched by identity first, which is exact and fast, then by equal value (after a text read
whole, where every object is new).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from typing import Any

Step = tuple[str, int, int, int, int]
"""(tag, i1, i2, j1, j2): ``old[i1:i2]`` becomes ``new[j1:j2]``. Tags: ``equal`` (the same
members, pairwise), ``replace`` (pairwise as far as both go, then the rest of the longer side
removed or added), ``delete``, ``insert``, ``move_down`` (the first of ``old[i1:i2]`` goes to
the end of the range, the others move up one), ``move_up`` (the last goes to its start)."""

MATCH_LIMIT = 40_000
"""Above this many pairs (old × new) in the changed middle, no closer matching is tried: the
members are paired as they stand (a whole different value; every pair is still right, only
what was expanded may move to another member)."""


def align_members(old: Sequence[str], new: Sequence[str]) -> list[Step]:
    """The steps from an object's member names ``old`` to ``new`` (names are unique)."""
    return _align(old, new, _equal_names, _equal_names, list)


def align_items(old: Sequence[Any], new: Sequence[Any]) -> list[Step]:
    """The steps from an array's items ``old`` to ``new`` (parsed JSON values)."""
    return _align(old, new, _identical, same_value, _fingerprints)


def same_value(a: Any, b: Any) -> bool:
    """True when two parsed JSON values are the same value of the same JSON type (``1`` is
    not ``true``, and ``1`` is not ``1.0``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _identical(a: Any, b: Any) -> bool:
    return a is b


def _equal_names(a: str, b: str) -> bool:
    return a == b


def _fingerprints(values: Sequence[Any]) -> list[str]:
    return [type(v).__name__ + json.dumps(v, ensure_ascii=False) for v in values]


def _align(
    old: Sequence[Any],
    new: Sequence[Any],
    first: Callable[[Any, Any], bool],
    then: Callable[[Any, Any], bool],
    tokens: Callable[[Sequence[Any]], list[Any]],
) -> list[Step]:
    n, m = len(old), len(new)
    cap = min(n, m)
    lo = 0
    while lo < cap and first(old[lo], new[lo]):
        lo += 1
    tail = 0
    while tail < cap - lo and first(old[n - 1 - tail], new[m - 1 - tail]):
        tail += 1
    if then is not first:  # after the exact pass, what is merely equal
        while lo < cap - tail and then(old[lo], new[lo]):
            lo += 1
        while tail < cap - lo and then(old[n - 1 - tail], new[m - 1 - tail]):
            tail += 1
    steps: list[Step] = []
    if lo:
        steps.append(("equal", 0, lo, 0, lo))
    steps.extend(_middle(old[lo : n - tail], new[lo : m - tail], lo, then, tokens))
    if tail:
        steps.append(("equal", n - tail, n, m - tail, m))
    return steps


def _middle(
    a: Sequence[Any],
    b: Sequence[Any],
    at: int,
    same: Callable[[Any, Any], bool],
    tokens: Callable[[Sequence[Any]], list[Any]],
) -> list[Step]:
    """The steps from ``a`` to ``b``, the changed middle that starts at ``at`` on both sides
    (whatever stands before it is the same on both)."""
    i1, i2, j1, j2 = at, at + len(a), at, at + len(b)
    if not a and not b:
        return []
    if not a:
        return [("insert", i1, i1, j1, j2)]
    if not b:
        return [("delete", i1, i2, j1, j1)]
    if len(a) == len(b):
        if len(a) >= 2 and same(a[0], b[-1]) and all(map(same, a[1:], b[:-1])):
            return [("move_down", i1, i2, j1, j2)]
        if len(a) >= 2 and same(a[-1], b[0]) and all(map(same, a[:-1], b[1:])):
            return [("move_up", i1, i2, j1, j2)]
        return [("replace", i1, i2, j1, j2)]
    if len(a) * len(b) > MATCH_LIMIT:
        return [("replace", i1, i2, j1, j2)]
    matcher = SequenceMatcher(None, tokens(a), tokens(b), autojunk=False)
    return [
        (tag, i1 + x1, i1 + x2, j1 + y1, j1 + y2) for tag, x1, x2, y1, y2 in matcher.get_opcodes()
    ]
