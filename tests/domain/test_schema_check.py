"""The fast schema check agrees with jsonschema (draft 7) on every revision's published
request schema: on valid bodies and on many broken ones (a value replaced, a member removed)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from jsonschema import Draft7Validator

from composer.domain.convert import convert
from composer.domain.revisions import REVISIONS, get_revision
from composer.domain.schema_check import compile_schema

FULL = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {
                "$email": "ann@example.com",
                "$phone_number": "+15005550006",
                "$first_name": "Ann",
                "$city": "Boston",
                "$consent": ["email"],
                "$id": "ext-1",
                "Plan": "Gold",
            },
            "metric": {"name": "Placed Order"},
            "properties": {"Items": [{"sku": "a", "n": 1}], "Total": 9.5},
            "time": "2026-11-01T10:00:00Z",
            "value": 9.5,
            "unique_id": "u-1",
        },
    }
}
ODD_VALUES: list[Any] = [None, True, False, 0, 1, 1.0, 2.5, -3, "", "x", "event", [], [1, "a"], {},
                         {"type": "profile"}, {"data": {}}, {"name": 1}]  # fmt: skip


def nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(nodes(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(nodes(item, (*path, index)))
    return out


def sweep(body: Any) -> list[Any]:
    out = []
    for path in nodes(body)[1:]:
        for odd in [*ODD_VALUES, "remove"]:
            result = copy.deepcopy(body)
            parent = result
            for step in path[:-1]:
                parent = parent[step]
            if odd == "remove":
                if isinstance(parent, dict):
                    del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(odd)
            out.append(result)
    return out


def mutated(body: Any, rng: random.Random) -> Any:
    result = copy.deepcopy(body)
    if len(nodes(result)) < 2:
        return result
    path = rng.choice(nodes(result)[1:])
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    return result


@pytest.mark.parametrize("revision", list(REVISIONS))
def test_the_quick_check_agrees_with_jsonschema(revision: str) -> None:
    schema = get_revision(revision).schema
    quick = compile_schema(schema)
    assert quick is not None
    reference = Draft7Validator(schema)
    full = convert(FULL, revision).body
    loc = full["data"]["attributes"]["profile"]
    if "data" in loc:  # relationship shape: location's oneOf members and meta
        attrs = loc["data"]["attributes"]
        attrs["location"] = {"latitude": 40.7, "longitude": "74.0", "city": "Boston"}
        attrs["properties"] = {"a": 1}
    assert quick(full) and reference.is_valid(full)
    disagreements = []
    for body in sweep(full):  # every member removed, every value replaced by each odd one
        if quick(body) != reference.is_valid(body):
            disagreements.append(body)
    rng = random.Random(revision)
    for _ in range(100):  # and some with two changes
        body = mutated(mutated(full, rng), rng)
        if quick(body) != reference.is_valid(body):
            disagreements.append(body)
    assert disagreements == []


def test_unsupported_keywords_fall_back_to_jsonschema() -> None:
    assert compile_schema({"type": "string", "minLength": 2}) is None
    assert compile_schema({"$ref": "#/x"}) is None
    check = compile_schema({"type": "integer"})
    assert check is not None
    assert check(1) and check(2.0) and not check(True) and not check(1.5)
