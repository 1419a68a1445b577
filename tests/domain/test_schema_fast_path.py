"""The schema's fast path (fastjsonschema) only ever says "valid" where jsonschema does too:
every member of an event replaced by values of every JSON type, or removed, at every revision."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from composer.domain.convert import convert
from composer.domain.revisions import REVISIONS
from composer.domain.schema_rules import _fast_check, _validator, schema_findings

EXAMPLE = json.loads(
    (
        Path(__file__).resolve().parents[2] / "resources/examples/viewed-product.event.json"
    ).read_text()
)
VALUES = [None, True, False, 0, 1.5, "x", "", [], {}, [1], {"a": 1}, 10**30, "drop"]


def _paths(node, prefix=()):
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))


@pytest.mark.parametrize("name", [*sorted(REVISIONS)[:: len(REVISIONS) // 5], "2026-07-15"])
def test_the_fast_path_is_never_looser_than_jsonschema(name):
    rev = REVISIONS[name]
    fast = _fast_check(rev.schema_file, rev)
    assert fast is not None
    slow = _validator(rev.schema_file, rev)
    body = convert(EXAMPLE, name).body
    checked = 0
    for path in _paths(body):
        for value in VALUES:
            doc = copy.deepcopy(body)
            node = doc
            for key in path[:-1]:
                node = node[key]
            if value == "drop":
                del node[path[-1]]
            else:
                node[path[-1]] = value
            try:
                fast(doc)
                fast_valid = True
            except Exception:
                fast_valid = False
            if fast_valid:
                assert slow.is_valid(doc), (name, path, value)
                assert schema_findings(doc, rev) == []
            checked += 1
    assert checked > 100
