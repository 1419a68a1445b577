"""The one type for every problem found in an event, by our validator or by the server."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from composer.domain.rule_ids import is_syntax

_SURROGATE = re.compile("[\ud800-\udfff]")


def printable_text(text: str) -> str:
    """``text`` with any lone UTF-16 surrogate spelled as its escape (``\\ud800``), so that it
    can always be encoded as UTF-8: printed, stored, sent in a JSON:API body."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Severity(StrEnum):
    """How bad a finding is: an error makes Klaviyo reject the event, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located by an RFC 6901 JSON pointer into the request body.

    ``message`` names the field, says what is wrong and what would be right. ``line`` and
    ``column`` (1-based) are set for JSON syntax errors (and say which of two duplicate members
    is meant). ``source`` tells who found it: ``"validator"`` (this app) or ``"server"`` (an
    errors[] entry of a response). ``member`` names the member of the object at ``pointer``
    the finding is about when that member is absent (a required member that is missing), so
    nobody has to read it back out of the message.
    """

    pointer: str
    severity: Severity
    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    source: str = "validator"
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    member: str | None = None

    def __post_init__(self) -> None:
        # Findings quote what they were given (a member name, a server's detail): a lone
        # surrogate in it must not make the finding unprintable.
        object.__setattr__(self, "message", printable_text(self.message))
        object.__setattr__(self, "pointer", printable_text(self.pointer))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def target(self) -> str:
        """The pointer of what the finding is about: ``pointer``, or the absent ``member``
        of the object there."""
        if self.member is None:
            return self.pointer
        return f"{self.pointer}/{escape_token(self.member)}"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape used by `event-composer validate --json` and the history."""
        out: dict[str, Any] = {
            "pointer": self.pointer,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
        }
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        if self.source != "validator":
            out["source"] = self.source
        if self.meta:
            out["meta"] = self.meta
        if self.member is not None:
            out["member"] = self.member
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Finding:
        """Inverse of :meth:`to_json` (used when reading findings back from the history)."""
        return cls(
            pointer=str(obj.get("pointer", "")),
            severity=Severity(obj.get("severity", "error")),
            rule=str(obj.get("rule", "")),
            message=str(obj.get("message", "")),
            line=obj.get("line"),
            column=obj.get("column"),
            source=str(obj.get("source", "validator")),
            meta=dict(obj.get("meta") or {}),
            member=obj.get("member") if isinstance(obj.get("member"), str) else None,
        )


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything the validator found in one payload, errors first."""

    findings: tuple[Finding, ...]
    payload: Any = field(default=None, compare=False)
    """The parsed JSON value, when the text parsed (None otherwise)."""

    @property
    def valid(self) -> bool:
        """True when no finding is an error (warnings do not make an event invalid)."""
        return not any(f.is_error for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_error)

    @property
    def parsed(self) -> bool:
        return not any(is_syntax(f.rule) for f in self.findings)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors before warnings; otherwise in document order of their pointers."""
    return tuple(sorted(findings, key=lambda f: (f.severity is not Severity.ERROR, f.pointer)))


def escape_token(token: str) -> str:
    """Escape one reference token of a JSON pointer (RFC 6901 section 3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(parts: Sequence[str | int]) -> str:
    """Build a JSON pointer from path parts: ``pointer(["data", "attributes"])``."""
    if type(parts) is tuple:
        return _tuple_pointer(parts)  # the rules' fixed paths: built once
    return "".join("/" + escape_token(str(p)) for p in parts)


@lru_cache(maxsize=512)
def _tuple_pointer(parts: tuple[str | int, ...]) -> str:
    return "".join("/" + escape_token(str(p)) for p in parts)


def split_pointer(ptr: str) -> list[str]:
    """Split a JSON pointer into unescaped tokens; ``""`` is the whole document."""
    if not ptr:
        return []
    if not ptr.startswith("/"):
        raise ValueError(f"not a JSON pointer: {ptr!r}")
    return [unescape_token(t) for t in ptr[1:].split("/")]


def array_index(token: str) -> int | None:
    """The array index a pointer token names, or None when it names none: RFC 6901 indexes
    are ASCII digits without a leading zero (``"٢"`` and ``"²"`` are member names, and
    ``"01"`` indexes nothing)."""
    if not token.isascii() or not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        return None
    return int(token)


def describe_pointer(ptr: str) -> str:
    """A short human name for the field a pointer names, e.g. ``metric.name``."""
    parts = split_pointer(ptr) if ptr.startswith("/") or not ptr else [ptr]
    if parts[:2] == ["data", "attributes"]:
        parts = parts[2:]
    elif parts[:1] == ["data"]:
        parts = parts[1:] or ["data"]
    if not parts:
        return "the request body"
    return ".".join(parts)
