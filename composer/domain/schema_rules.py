"""The published JSON Schema of one revision, with its errors rewritten for people."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from composer.domain.findings import Finding, Severity, describe_pointer, pointer
from composer.domain.revisions import Revision, Shape
from composer.domain.rule_ids import SCHEMA_REQUIRED

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

_MEMBER_HINTS = {
    "data": '"data": {"type": "event", "attributes": {...}}',
    "type": '"type": "event"',
    "attributes": '"attributes": {"profile": {...}, "metric": {...}, "properties": {...}}',
    "profile": '"profile": {"$email": "ann@example.com"}',
    "metric": '"metric": {"name": "Viewed Product"}',
    "properties": '"properties": {} (it may be empty)',
    "name": '"name": "Viewed Product"',
}

_TYPE_WORDS = {
    "object": "an object ({...})",
    "array": "an array ([...])",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def json_type_name(value: Any) -> str:
    """The JSON type of a Python value, as a person would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _either(words: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as the JSON Schema (draft 7) it means.

    Klaviyo publishes its request schemas in OpenAPI 3.0's dialect, where ``nullable: true``
    says that null is one more value the member takes (its SDKs send ``"value": null`` for a
    nullable member set to None). JSON Schema has no such keyword and would refuse null, so
    null joins the member's ``type`` (and ``enum``), or its ``oneOf``/``anyOf`` alternatives
    when it has no type of its own. A node that lists members (``properties``, ``required``)
    without a type is an object. The rest is kept as it is.
    """
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = json_schema(value)
        else:
            out[key] = value
    # An object by every other word of it: up to 2024-10-15 the metric's attributes lists
    # members and requires "name" but names no type (2025-01-15 adds it); JSON Schema would
    # take any non-object there, a number or a string, without a name.
    untyped = "type" not in out and not {"oneOf", "anyOf", "allOf"} & out.keys()
    if untyped and ("properties" in out or "required" in out):
        out["type"] = "object"
    if node.get("nullable") is True:
        _add_null(out)
    return out


def _add_null(out: dict[str, Any]) -> None:
    kind = out.get("type")
    if isinstance(kind, str) and kind != "null":
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if kind is None:
        for combinator in ("oneOf", "anyOf"):
            if isinstance(out.get(combinator), list):
                out[combinator] = [*out[combinator], {"type": "null"}]


@cache
def _json_schema(schema_file: str, revision: Revision) -> dict[str, Any]:
    translated: dict[str, Any] = json_schema(revision.schema)
    return translated


@cache
def _validator(schema_file: str, revision: Revision) -> Draft7Validator:
    from jsonschema import Draft7Validator  # costly: load on first use

    return Draft7Validator(_json_schema(schema_file, revision))


# Inside profile and metric (revisions from 2023-07-15 on) "data", "type" and "attributes" name
# that resource, not the event.
_NESTED_HINTS = {
    "profile": {
        "data": '"data": {"type": "profile", "attributes": {"email": "ann@example.com"}}',
        "type": '"type": "profile"',
        "attributes": '"attributes": {"email": "ann@example.com"}',
    },
    "metric": {
        "data": '"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}',
        "type": '"type": "metric"',
        "attributes": '"attributes": {"name": "Viewed Product"}',
    },
}


# A whole missing profile or metric, written in the layout of the relationship revisions.
_RESOURCE_HINTS = {
    "profile": (
        '"profile": {"data": {"type": "profile", "attributes": {"email": "ann@example.com"}}}'
    ),
    "metric": '"metric": {"data": {"type": "metric", "attributes": {"name": "Viewed Product"}}}',
}


def _member_hint(name: str, ptr: str, shape: Shape = Shape.FLAT) -> str:
    """What to add for a missing member ``name`` of the object at ``ptr``, in ``shape``."""
    tokens = ptr.split("/")
    for resource in ("profile", "metric"):
        if resource in tokens[3:4] and name in _NESTED_HINTS[resource]:
            return _NESTED_HINTS[resource][name]
    if shape is Shape.RELATIONSHIP and name in _RESOURCE_HINTS:
        return _RESOURCE_HINTS[name]
    return _MEMBER_HINTS.get(name, f'"{name}": ...')


def _required(error: ValidationError, ptr: str, shape: Shape) -> Iterator[Finding]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    names: Any = error.validator_value
    for name in names:
        if name in instance:
            continue
        hint = _member_hint(name, ptr, shape)
        where = describe_pointer(ptr)
        yield Finding(
            pointer=ptr,
            severity=Severity.ERROR,
            rule=SCHEMA_REQUIRED,
            message=f'{where} is missing the required member "{name}"; add {hint}',
            member=name,
        )


def _type(error: ValidationError, ptr: str) -> Finding:
    expected: Any = error.validator_value
    expected_list = expected if isinstance(expected, list) else [expected]
    want = _either([str(_TYPE_WORDS.get(t, t)) for t in expected_list])
    got = error.instance
    field = describe_pointer(ptr)
    message = f"{field} must be {want}, not {described(got)}"
    if got is None:
        message += ": write the value, or remove the member"
    elif "number" in expected_list and isinstance(got, str):
        message += number_hint(got)
    elif "string" in expected_list and not isinstance(got, dict | list):
        message += string_hint(got)
    return Finding(ptr, Severity.ERROR, "schema-type", message)


def number_hint(text: str) -> str:
    """What to write instead of the string ``text`` where a number belongs: the number
    without quotes when the text is one in JSON's spelling, else its JSON spelling ("007"
    is 7; Python's float() also takes "nan", "1_000" and "٣", which JSON does not)."""
    t = text.strip()
    try:
        value = json.loads(t)
    except ValueError:
        value = None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f": write {t} without quotes"
    try:
        number = float(t)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return ": write a number such as 9.99"
    spelled = str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    return f": write it as the number {spelled}, without quotes"


def described(value: Any) -> str:
    """A value as a finding names it, in JSON's words: ``null``, ``a boolean true``, ``a
    number 12`` (never Python's None or True)."""
    if value is None:
        return "null"
    return f"{json_type_name(value)} {_short(value)}"


def string_hint(value: Any) -> str:
    """What to write instead of the scalar ``value`` where a string belongs."""
    if value is None:
        return ": write the text in quotes, or remove the member"
    return f": put it in quotes, e.g. {json.dumps(json.dumps(value, ensure_ascii=False))}"


def _alternative_types(error: ValidationError) -> list[str]:
    """The types a ``oneOf``/``anyOf`` of plain types allows (empty when it is more than that)."""
    options: Any = error.validator_value
    types: list[str] = []
    for option in options if isinstance(options, list) else []:
        kind = option.get("type") if isinstance(option, dict) else None
        if not isinstance(kind, str) or set(option) - {"type", "items"}:
            return []
        types.append(kind)
    return types


def _alternatives(error: ValidationError, ptr: str) -> Finding:
    want = _either([str(_TYPE_WORDS.get(t, t)) for t in _alternative_types(error)])
    message = f"{describe_pointer(ptr)} must be {want}, not {described(error.instance)}"
    return Finding(ptr, Severity.ERROR, "schema-type", message)


def _enum(error: ValidationError, ptr: str) -> Finding:
    values: Any = error.validator_value
    allowed = " or ".join(json.dumps(v) for v in values)
    return Finding(
        ptr,
        Severity.ERROR,
        "schema-enum",
        f"{describe_pointer(ptr)} must be {allowed}, not {_short(error.instance)}",
    )


@cache
def _fast_check(schema_file: str, revision: Revision) -> Callable[[Any], Any] | None:
    """The schema compiled to Python by fastjsonschema (about ten times faster than
    jsonschema's ``is_valid``), or None when it cannot be compiled. Only a "valid" verdict is
    taken from it; whatever it refuses goes to jsonschema, whose errors the findings are made
    of. It is never looser than jsonschema (tests/domain/test_schema_fast_path.py)."""
    try:
        import fastjsonschema  # costly: load on first use

        check: Callable[[Any], Any] = fastjsonschema.compile(
            _json_schema(schema_file, revision), use_default=False
        )
        return check
    except Exception:  # the slow path is always there
        return None


def _fast_valid(fast: Callable[[Any], Any], payload: Any) -> bool:
    try:
        fast(payload)
    except Exception:  # refused (or could not tell): jsonschema says why
        return False
    return True


_fast_by_file: dict[str, Callable[[Any], Any] | None] = {}
"""``_fast_check`` by schema file: a replay asks for it once per event, and hashing a
:class:`Revision` (as the cache of ``_fast_check`` does) costs more than the lookup."""


def schema_findings(payload: Any, revision: Revision) -> list[Finding]:
    """Check a parsed body against the revision's published request schema."""
    try:
        fast = _fast_by_file[revision.schema_file]
    except KeyError:
        fast = _fast_by_file[revision.schema_file] = _fast_check(revision.schema_file, revision)
    if fast is not None and _fast_valid(fast, payload):
        return []
    validator = _validator(revision.schema_file, revision)
    if validator.is_valid(payload):
        return []
    findings: list[Finding] = []
    for error in validator.iter_errors(payload):
        ptr = pointer(list(error.absolute_path))
        if error.validator == "required":
            findings.extend(_required(error, ptr, revision.shape))
        elif error.validator == "type":
            findings.append(_type(error, ptr))
        elif error.validator == "enum":
            findings.append(_enum(error, ptr))
        elif error.validator in ("oneOf", "anyOf") and _alternative_types(error):
            findings.append(_alternatives(error, ptr))
        else:
            findings.append(
                Finding(
                    ptr,
                    Severity.ERROR,
                    f"schema-{error.validator}",
                    f"{describe_pointer(ptr)}: {error.message}",
                )
            )
    unique: dict[tuple[str, str, str], Finding] = {}
    for f in findings:  # "required" reports once per missing member, each with the full list
        unique.setdefault((f.pointer, f.rule, f.message), f)
    return list(unique.values())
