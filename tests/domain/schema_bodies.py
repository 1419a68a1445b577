"""Bodies drawn from a revision's own published request schema, read with OpenAPI 3.0's
meaning (``nullable: true`` adds null; ``oneOf`` takes exactly one alternative), and the ways
to break one member so that the schema refuses it.

The reading here is the test's own, independent of ``composer.domain.schema_rules``: the
validator and the sandbox are checked against it, revision by revision.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from composer.domain.revisions import Revision, Shape

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(max_size=6),
)
_FREE_KEYS = st.text(st.characters(categories=("Ll", "Nd")), min_size=1, max_size=5)
_FREE_OBJECTS = st.dictionaries(_FREE_KEYS, _SCALARS, max_size=3)

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def openapi_allows(node: dict[str, Any], value: Any) -> bool:
    """Whether an OpenAPI 3.0 schema node takes ``value`` at its own level (members of an
    object are not looked into)."""
    if value is None:
        return node.get("nullable") is True
    if "enum" in node:
        return any(value == v and type(value) is type(v) for v in node["enum"])
    if "oneOf" in node:
        return sum(openapi_allows({**o, "nullable": False}, value) for o in node["oneOf"]) == 1
    kind = _kind(node)
    if kind is None:
        return True
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _PY_TYPES[kind])


def _kind(node: dict[str, Any]) -> str | None:
    """The node's type; an object where it only lists members (up to 2024-10-15 the metric's
    ``attributes`` has ``properties`` and ``required`` but no ``type``; 2025-01-15 adds
    ``"type": "object"``)."""
    kind = node.get("type")
    if kind is None and ("properties" in node or "required" in node):
        return "object"
    return kind if isinstance(kind, str) else None


def valid_values(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema node takes, members of objects included."""
    options: list[st.SearchStrategy[Any]] = []
    if node.get("nullable") is True:
        options.append(st.none())
    if "enum" in node:
        options.append(st.sampled_from(node["enum"]))
    elif "oneOf" in node:
        options.extend(valid_values({**o, "nullable": False}) for o in node["oneOf"])
    else:
        kind = _kind(node)
        if kind == "object" and "properties" in node:
            members = node["properties"]
            required = set(node.get("required", ()))
            options.append(
                st.fixed_dictionaries(
                    {k: valid_values(v) for k, v in members.items() if k in required},
                    optional={k: valid_values(v) for k, v in members.items() if k not in required},
                )
            )
        elif kind == "object":
            options.append(_FREE_OBJECTS)
        elif kind == "array":
            options.append(st.lists(valid_values(node.get("items", {})), max_size=2))
        elif kind == "string":
            options.append(st.text(max_size=6))
        elif kind in ("number", "integer"):
            options.append(st.integers(-1000, 1000))
            if kind == "number":
                options.append(st.floats(-1e6, 1e6, allow_nan=False))
        elif kind == "boolean":
            options.append(st.booleans())
        else:
            options.append(_SCALARS)
    return st.one_of(options)


def _attributes(rev: Revision) -> dict[str, Any]:
    return rev.schema["properties"]["data"]["properties"]["attributes"]["properties"]


def _set(body: Any, path: tuple[str, ...], value: Any) -> None:
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def with_prose_rules_met(body: Any, rev: Revision, identifier: str) -> Any:
    """``body`` (schema-valid) changed only where the spec's prose asks more than the schema:
    a profile identifier (``email``, ``phone`` or the profile ``id``), a metric name, and a
    time inside Klaviyo's window when a time string is there."""
    out = copy.deepcopy(body)
    attrs = out["data"]["attributes"]
    profile = _get(out, rev.profile.path)
    if identifier == "id" and rev.shape is Shape.RELATIONSHIP:
        _set(out, PROFILE_ID_PATH, "01GDDKASAP8TKDDA2GRZDSVP4H")
    elif identifier == "phone":
        profile[rev.profile.phone_key] = "+15005550006"
    else:
        profile[rev.profile.email_key] = "ann@example.com"
    _set(out, rev.metric_name_path, "Viewed Product")
    if isinstance(attrs.get("time"), str):
        attrs["time"] = "2026-01-02T03:04:05Z"
    return out


def _get(body: Any, path: tuple[str, ...]) -> Any:
    node = body
    for key in path:
        node = node[key]
    return node


@cache
def valid_bodies(rev: Revision) -> st.SearchStrategy[Any]:
    """Bodies the revision's schema takes and its prose rules accept."""
    identifiers = ["email", "phone", *(["id"] if rev.shape is Shape.RELATIONSHIP else [])]
    return st.builds(
        lambda body, who: with_prose_rules_met(body, rev, who),
        valid_values(rev.schema),
        st.sampled_from(identifiers),
    )


@dataclass(frozen=True)
class Site:
    """A member of the schema: where it is, its schema, whether its object requires it."""

    path: tuple[str, ...]
    node: dict[str, Any]
    required: bool


@cache
def sites(rev: Revision) -> list[Site]:
    """Every member of the revision's schema that sits in objects only (no arrays above)."""
    found: list[Site] = []

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        required = set(node.get("required", ()))
        for name, sub in node.get("properties", {}).items():
            found.append(Site((*path, name), sub, name in required))
            if _kind(sub) == "object":
                walk(sub, (*path, name))

    walk(rev.schema, ())
    return found


PROFILE_ID_PATH = ("data", "attributes", "profile", "data", "id")
"""Where a relationship body names the profile by its Klaviyo id."""

_WRONG = (None, True, 12, 9.99, "text", [], {})


def wrong_values(node: dict[str, Any]) -> list[Any]:
    """Values of the kinds the schema node refuses."""
    return [v for v in _WRONG if not openapi_allows(node, v)]


def present(body: Any, path: tuple[str, ...]) -> bool:
    node = body
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def members(node: Any, schema: dict[str, Any], path: tuple[Any, ...] = ()) -> list[Site]:
    """Every member the schema names that ``node`` could hold, through arrays too: the members
    of the objects ``node`` has (its arrays' items included)."""
    out: list[Site] = []
    if isinstance(node, dict) and _kind(schema) == "object":
        required = set(schema.get("required", ()))
        for name, sub in schema.get("properties", {}).items():
            out.append(Site((*path, name), sub, name in required))
            if name in node:
                out.extend(members(node[name], sub, (*path, name)))
    elif isinstance(node, list) and "items" in schema:
        for index, item in enumerate(node):
            out.extend(members(item, schema["items"], (*path, index)))
    return out
