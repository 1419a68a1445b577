"""Klaviyo's ``filter`` query parameter: parsed, checked against what an endpoint allows.

Syntax (api-overview#filtering): ``op(field,value)`` conditions joined by commas (or wrapped
in ``and(...)``), ``has(field)`` without a value; strings in double (or single) quotes, lists in
``[...]``, datetimes and numbers unquoted. Anything else is refused the way Klaviyo does: 400
"Invalid filter provided…" with ``source.parameter: "filter"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from composer.sandbox.jsonapi import INVALID_TITLE, ApiError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<punct>[(),\[\]])
      | (?P<word>[^\s(),\[\]"']+)
    )""",
    re.VERBOSE,
)

DATETIME = "datetime"
NUMBER = "number"
STRING = "string"
NONE = "none"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Which operators a field takes, and what its value is."""

    operators: frozenset[str]
    value: str = STRING
    lists: frozenset[str] = frozenset()
    """Operators that take a list of values (``equals(metric_id,["a","b"])``, ``any(...)``)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition: ``op(field, value)``; value is a tuple for list operators."""

    op: str
    field: str
    value: Any


class FilterError(ValueError):
    """A filter that cannot be used; ``api_error`` is the 400 to answer with."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.api_error = ApiError(
            "invalid", INVALID_TITLE, f"Invalid filter provided. {reason}", parameter="filter"
        )


_RANGE = frozenset({"greater-or-equal", "greater-than", "less-or-equal", "less-than"})

EVENT_FILTERS: Mapping[str, FieldRule] = {
    "metric_id": FieldRule(frozenset({"equals"}), lists=frozenset({"equals"})),
    "profile_id": FieldRule(frozenset({"equals"})),
    "profile": FieldRule(frozenset({"has"}), NONE),
    "metric": FieldRule(frozenset({"has"}), NONE),
    "datetime": FieldRule(_RANGE, DATETIME),
    "timestamp": FieldRule(_RANGE, NUMBER),
}
METRIC_FILTERS: Mapping[str, FieldRule] = {
    "integration.name": FieldRule(frozenset({"equals"})),
    "integration.category": FieldRule(frozenset({"equals"})),
}
_ANY = frozenset({"any", "equals"})
PROFILE_FILTERS: Mapping[str, FieldRule] = {
    name: FieldRule(_ANY, lists=frozenset({"any"}))
    for name in ("id", "email", "phone_number", "external_id")
}


def parse_filter(text: str, allowed: Mapping[str, FieldRule]) -> list[Condition]:
    """The conditions of ``text`` (all must hold), or FilterError naming what is wrong."""
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    conditions = parser.conditions()
    if parser.pos != len(tokens):
        raise FilterError(f"Unexpected {tokens[parser.pos][1]!r} after a condition.")
    out: list[Condition] = []
    for op, name, value in _flatten(conditions):
        out.append(_check(op, name, value, allowed))
    if not out:
        raise FilterError("The filter is empty.")
    return out


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"Cannot read the filter at character {pos + 1}.")
        kind = m.lastgroup or "word"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expect(self, punct: str) -> None:
        token = self.peek()
        if token != ("punct", punct):
            got = "the end" if token is None else repr(token[1])
            raise FilterError(f"Expected {punct!r} but found {got}.")
        self.pos += 1

    def conditions(self) -> list[Any]:
        out = [self.condition()]
        while self.peek() == ("punct", ","):
            self.pos += 1
            out.append(self.condition())
        return out

    def condition(self) -> Any:
        token = self.peek()
        if token is None or token[0] != "word":
            got = "the end" if token is None else repr(token[1])
            raise FilterError(f"Expected an operator such as equals( but found {got}.")
        op = token[1]
        self.pos += 1
        self.expect("(")
        if op == "and":
            inner = self.conditions()
            self.expect(")")
            return inner
        field_token = self.peek()
        if field_token is None or field_token[0] != "word":
            raise FilterError(f"{op}() needs a field name first.")
        self.pos += 1
        value: Any = _NO_VALUE
        if self.peek() == ("punct", ","):
            self.pos += 1
            value = self.value()
        self.expect(")")
        return (op, field_token[1], value)

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise FilterError("A value is missing.")
        if token == ("punct", "["):
            self.pos += 1
            items: list[Any] = []
            while self.peek() != ("punct", "]"):
                items.append(self.value())
                if self.peek() == ("punct", ","):
                    self.pos += 1
                elif self.peek() != ("punct", "]"):
                    raise FilterError('A list must be written ["a","b"].')
            self.pos += 1
            return tuple(items)
        self.pos += 1
        if token[0] == "string":
            return _Quoted(_unescape(token[1][1:-1]))
        if token[0] == "word":
            return token[1]
        raise FilterError(f"Unexpected {token[1]!r} where a value belongs.")


class _Quoted(str):
    """A value that was written in quotes."""


_NO_VALUE = object()


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _flatten(items: list[Any]) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _check(op: str, name: str, value: Any, allowed: Mapping[str, FieldRule]) -> Condition:
    rule = allowed.get(name)
    if rule is None:
        fields = ", ".join(sorted(allowed))
        raise FilterError(f"'{name}' is not a valid field for this filter; use one of: {fields}.")
    if op not in rule.operators:
        ops = ", ".join(sorted(rule.operators))
        raise FilterError(f"'{op}' is not a valid operator for '{name}'; use: {ops}.")
    if rule.value == NONE:
        if value is not _NO_VALUE:
            raise FilterError(f"{op}({name}) takes no value.")
        return Condition(op, name, None)
    if value is _NO_VALUE:
        raise FilterError(f"{op}({name},...) needs a value.")
    if isinstance(value, tuple):
        if op not in rule.lists:
            raise FilterError(f"{op}({name},...) takes one value, not a list.")
        return Condition(op, name, tuple(_typed(name, rule, v) for v in value))
    if op in rule.lists and op == "any":
        raise FilterError(f'any({name},...) takes a list: any({name},["a","b"]).')
    return Condition(op, name, _typed(name, rule, value))


def _typed(name: str, rule: FieldRule, value: Any) -> Any:
    if isinstance(value, tuple):
        raise FilterError(f"'{name}' takes plain values, not nested lists.")
    if rule.value == STRING:
        if not isinstance(value, _Quoted):
            raise FilterError(f"The value for '{name}' must be a string in double quotes.")
        return str(value)
    if rule.value == NUMBER:
        try:
            return float(value)
        except ValueError:
            raise FilterError(f"The value for '{name}' must be a number.") from None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise FilterError(
            f"'{value}' is not a datetime for '{name}'; write e.g. 2026-11-30T10:00:00+00:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def matches(condition: Condition, actual: Any) -> bool:
    """Whether ``actual`` (the field's value on an item) satisfies ``condition``."""
    op, value = condition.op, condition.value
    if op == "has":
        return actual is not None
    if op in ("equals", "any"):
        if isinstance(value, tuple):
            return actual in value
        return bool(actual == value)
    if actual is None:
        return False
    if op == "greater-or-equal":
        return bool(actual >= value)
    if op == "greater-than":
        return bool(actual > value)
    if op == "less-or-equal":
        return bool(actual <= value)
    return bool(actual < value)  # less-than
