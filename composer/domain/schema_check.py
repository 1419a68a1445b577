"""A fast yes/no check of a body against a published request schema.

jsonschema walks a Create Event body in about 0.1 ms; a bulk job of 1,000 events, or a replay,
pays that for every event although nearly all are valid. This compiles the small part of JSON
Schema draft 7 the published request schemas use (``type``, ``enum`` of strings, ``required``,
``properties``, ``items``, ``oneOf``; annotations such as ``description``, ``nullable`` and
``format`` are ignored, as draft 7 ignores them) into one generated Python function of plain
``if`` statements that answers only "valid?". A body it calls invalid is then walked by
jsonschema for the findings; a schema with any other keyword is not compiled (None), and
jsonschema answers alone. tests/domain/test_schema_check.py holds it to jsonschema's verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "description",
        "example",
        "examples",
        "nullable",
        "format",
        "default",
        "title",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_KEYWORDS = frozenset({"type", "enum", "required", "properties", "items", "oneOf"})

# Draft 7's types, as jsonschema's default type checker reads them (a bool is no number; 1.0 is
# an integer). Each is an expression on the name {v}.
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "integer": "_is_integer({v})",
}


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def compile_schema(schema: Any) -> Check | None:
    """A function telling whether a value is valid against ``schema`` (draft 7), or None when
    the schema uses a keyword outside the supported set."""
    try:
        return _Generator().function(schema)
    except Unsupported:
        return None


class _Generator:
    """Writes the source of one check function, node by node, with fresh variable names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"_is_integer": _is_integer, "_MISSING": _MISSING}
        self.count = 0

    def function(self, schema: Any) -> Check:
        self.lines = ["def check(v0):"]
        self.node(schema, "v0", 1)
        self.lines.append("    return True")
        namespace = dict(self.names)
        exec("\n".join(self.lines), namespace)  # noqa: S102 - source built here from the schema's keywords only
        check: Check = namespace["check"]
        return check

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def node(self, schema: Any, v: str, depth: int) -> None:
        """Statements that ``return False`` when ``v`` breaks ``schema``, else fall through."""
        if schema is True or schema == {}:
            return
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema)[:40])
        unknown = [
            k
            for k in schema
            if k not in _KEYWORDS and k not in _ANNOTATIONS and not k.startswith("x-")
        ]
        if unknown:
            raise Unsupported(unknown[0])
        is_dict = False
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not names or not all(isinstance(n, str) and n in _TYPE_TESTS for n in names):
                raise Unsupported(f"type {schema['type']!r}")
            tests = " or ".join(_TYPE_TESTS[n].format(v=v) for n in names)
            self.emit(depth, f"if not ({tests}):")
            self.emit(depth + 1, "return False")
            is_dict = names == ["object"]
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not all(isinstance(x, str) for x in values):
                raise Unsupported("enum of non-strings")
            name = self.fresh("E")
            self.names[name] = frozenset(values)
            self.emit(depth, f"if not (isinstance({v}, str) and {v} in {name}):")
            self.emit(depth + 1, "return False")
        if "required" in schema or "properties" in schema:
            inner = depth
            if not is_dict:  # required and properties apply to objects only
                self.emit(depth, f"if isinstance({v}, dict):")
                inner = depth + 1
            before = len(self.lines)
            self.object_members(schema, v, inner)
            if len(self.lines) == before and not is_dict:
                self.lines.pop()
        if "items" in schema:
            items = schema["items"]
            if isinstance(items, list):
                raise Unsupported("items as a list")
            item = self.fresh("v")
            self.emit(depth, f"if isinstance({v}, list):")
            self.emit(depth + 1, f"for {item} in {v}:")
            before = len(self.lines)
            self.node(items, item, depth + 2)
            if len(self.lines) == before:
                self.emit(depth + 2, "pass")
        if "oneOf" in schema:
            subs = schema["oneOf"]
            if not isinstance(subs, list) or not subs:
                raise Unsupported("oneOf")
            checks = []
            for sub in subs:
                name = self.fresh("C")
                self.names[name] = _Generator().function(sub)
                checks.append(f"{name}({v})")
            self.emit(depth, f"if ({' + '.join(checks)}) != 1:")
            self.emit(depth + 1, "return False")

    def object_members(self, schema: dict[str, Any], v: str, depth: int) -> None:
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
            raise Unsupported("required")
        if required:
            missing = " or ".join(f"{n!r} not in {v}" for n in required)
            self.emit(depth, f"if {missing}:")
            self.emit(depth + 1, "return False")
        members = schema.get("properties", {})
        if not isinstance(members, dict):
            raise Unsupported("properties")
        for member, sub in members.items():
            value = self.fresh("v")
            self.emit(depth, f"{value} = {v}.get({member!r}, _MISSING)")
            self.emit(depth, f"if {value} is not _MISSING:")
            before = len(self.lines)
            self.node(sub, value, depth + 1)
            if len(self.lines) == before:
                self.lines.pop()
                self.lines.pop()


_MISSING: Any = object()
