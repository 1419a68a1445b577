"""JSON values as the property tree shows and converts them (no Qt)."""

from __future__ import annotations

import json
from typing import Any

from composer.editing.fields import read_number

TYPES = ("string", "number", "boolean", "null", "object", "array")


def dump(payload: Any, *, minify: bool = False) -> str:
    """The composer's canonical text of a payload (2-space indent, UTF-8 kept readable)."""
    if minify:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(payload, indent=2, ensure_ascii=False)


def type_of(value: Any) -> str:
    """The JSON type name of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def display(value: Any) -> str:
    """How a value reads in the Value column."""
    if isinstance(value, dict):
        n = len(value)
        return f"{{ {n} member{'s' if n != 1 else ''} }}"
    if isinstance(value, list):
        n = len(value)
        return f"[ {n} item{'s' if n != 1 else ''} ]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def convert(value: Any, new_type: str) -> Any:
    """``value`` as another JSON type, keeping what can be kept: a number typed as a string
    stays that number, a scalar put into an array becomes its only element."""
    if new_type == type_of(value):
        return value
    if new_type == "string":
        return "" if value is None or isinstance(value, dict | list) else display(value)
    if new_type == "number":
        if isinstance(value, str):
            typed = read_number(value).json_text
            return json.loads(typed) if typed is not None else 0
        return 1 if value is True else 0
    if new_type == "boolean":
        return value in ("true", 1) or value is True
    if new_type == "object":
        return {}
    if new_type == "array":
        if isinstance(value, dict):
            return list(value.values())
        return [] if value is None or value == "" else [value]
    return None


def converted_source(value: Any, source: str | None, new_type: str) -> str | None:
    """The JSON text of ``value`` (written as ``source``) changed to ``new_type`` where its
    spelling can be kept: the number ``10.50`` becomes the string ``"10.50"`` (not
    ``"10.5"``), the string ``"1e3"`` the number ``1e3`` (not ``1000.0``), a scalar put into
    an array keeps its escapes. None where :func:`convert`'s value is to be written."""
    kind = type_of(value)
    if source is None or kind == new_type:
        return None
    if kind == "number" and new_type == "string":
        return json.dumps(source)
    if kind == "string" and new_type == "number":
        return read_number(value).json_text
    if kind in ("number", "string", "boolean") and new_type == "array" and value != "":
        return f"[{source}]"
    return None


def conversion_loss(value: Any, new_type: str) -> str:
    """What changing ``value`` to ``new_type`` would throw away ("" when nothing): a person
    is asked before it is lost."""
    if new_type == type_of(value):
        return ""
    kept = convert(value, new_type)
    if isinstance(value, dict) and value:
        n = len(value)
        if new_type == "array":
            return f"the names of its {n} member{'s' * (n != 1)}"
        return f"its {n} member{'s' * (n != 1)}"
    if isinstance(value, list) and value:
        n = len(value)
        return f"its {n} item{'s' * (n != 1)}"
    if isinstance(value, str) and value and new_type in ("object", "null", "boolean"):
        return f"the text “{value}”"
    if isinstance(value, str) and value and new_type == "number" and kept == 0:
        return f"the text “{value}” (not a number)"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and (
        new_type in ("object", "null") or (new_type == "boolean" and value not in (0, 1))
    ):
        return f"the number {display(value)}"
    return ""


def parse_cell(text: str, kind: str, decimal_point: str = ".") -> tuple[str | None, str]:
    """The JSON text for what was typed into a Value cell of type ``kind``, or None and why
    not."""
    if kind == "number":
        number = read_number(text, decimal_point, "," if decimal_point == "." else ".")
        if number.json_text is None:
            return None, number.problem + " (or change the type to string)"
        return number.json_text, ""
    if kind == "boolean":
        word = text.strip().lower()
        if word not in ("true", "false"):
            return None, "choose true or false"
        return word, ""
    if kind == "string":
        return json.dumps(text, ensure_ascii=False), ""
    if kind == "null":
        return "null", ""
    return None, "edit the members of an object or array one by one"
