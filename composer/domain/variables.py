"""Variables in an event's JSON text: ``{{$uuid}}``, ``{{$now+1d}}``, ``{{customer_email}}``.

The rules (also in docs/collections.md, "Variables"):

- A variable is written ``{{NAME}}`` with no blanks inside the braces, inside a JSON string:
  a string value or a member name. Anywhere else (between values) it is just invalid JSON.
- ``NAME`` is a built-in (starts with ``$``, see :data:`BUILTINS`) or a name of letters,
  digits, ``_``, ``-`` and ``.`` looked up in a :class:`Scope`: the data row first, then the
  environment, then the collection (the narrowest scope wins).
- The value replaces the variable inside the string, JSON-escaped (a value with ``"`` or ``\\``
  stays valid JSON); every other byte of the text stays as it was. A string that is exactly one
  variable stays a string: ``"value": "{{$randomInt}}"`` gives ``"value": "417"``.
- An unknown variable is an error :class:`~composer.domain.findings.Finding` (rule
  :data:`~composer.domain.rule_ids.VARIABLE_UNKNOWN`) at the pointer of its string; it stays in
  the resolved text as written. ``{{`` that starts something like a variable but is not closed
  (``{{$uuid}``) is a warning (:data:`~composer.domain.rule_ids.VARIABLE_MALFORMED`) and stays
  literal. ``{{ first_name }}`` (blanks inside, Klaviyo's own template syntax) is left alone.
  To send ``{{name}}`` literally, spell the first brace as ``\\u007b``: a variable's braces
  must be written as such in the text.
- Values are not resolved again: a value that contains ``{{x}}`` is sent as it is.
- One resolution reads the clock once (every ``$now``/``$timestamp`` of an event agrees) and
  draws each random value afresh per use. Clock and randomness are injected, so tests (and the
  window's preview, see ``stable_seed``) are deterministic.

Only text that is valid JSON is resolved (:func:`resolve` leaves other text as it is): the
syntax error is then reported against the text the user wrote.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from composer.domain.findings import Finding, Severity, escape_token, printable_text
from composer.domain.jsontext import loads
from composer.domain.rule_ids import VARIABLE_MALFORMED, VARIABLE_UNKNOWN

if TYPE_CHECKING:
    from composer.domain.environments import Environment

Clock = Callable[[], datetime]

BUILTINS: dict[str, str] = {
    "$uuid": "a new random UUID (version 4)",
    "$timestamp": "the current time in Unix seconds",
    "$now": "the current time in ISO 8601 with its UTC offset; $now+1d, $now-2h (s, m, h, d)",
    "$randomEmail": "qa+RANDOM@ the environment's email domain (example.com when none)",
    "$randomPhone": "a fictional US number in E.164 (+1 NPA 555 01XX)",
    "$randomInt": "a random whole number from 0 to 1000",
}
"""The built-in variables and what each gives (the words the window and the docs show)."""

DEFAULT_EMAIL_DOMAIN = "example.com"
"""The domain of ``{{$randomEmail}}`` when the environment names none (reserved by RFC 2606)."""

RANDOM_INT_MAX = 1000

# Area codes in service, so that the numbers are valid for phonenumbers too, not only
# possible; 555-0100..555-0199 is the block reserved for fiction in every one of them.
_AREA_CODES = ("201", "212", "213", "305", "312", "415", "503", "617", "702", "917")

# A use: {{NAME}} with no blanks or braces inside. The scan runs over the raw text of a JSON
# string token; a brace is never part of an escape sequence there, so a match is the same
# characters in the decoded value.
_USE = re.compile(r"\{\{([^\s{}\"\\]+)\}\}")
_OPEN = re.compile(r"\{\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NOW = re.compile(r"\$now(?:(?P<sign>[+-])(?P<amount>[0-9]{1,6})(?P<unit>[smhd]))?")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SURROGATE = re.compile("[\ud800-\udfff]")

# Tokens of JSON text, tolerant of text that is not JSON (used to find strings and their
# pointers): a string, a bracket or separator, anything else up to the next of those.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s,:{}\[\]"]+|"')


@dataclass(frozen=True, slots=True)
class VariableUse:
    """One ``{{NAME}}`` in a text.

    ``start``/``end`` are the offsets of ``{{`` and just after ``}}`` in the text (Python string
    offsets). ``pointer`` is the RFC 6901 pointer of the string that holds it: of the value, or
    of the member when ``in_key`` (the use is in the member's name); it is the pointer as the
    template spells it. ``index`` counts the uses within that one string (0, 1, ...).
    """

    name: str
    start: int
    end: int
    pointer: str
    in_key: bool = False
    index: int = 0

    @property
    def is_builtin(self) -> bool:
        return self.name.startswith("$")

    @property
    def text(self) -> str:
        """The use as written: ``{{NAME}}``."""
        return "{{" + self.name + "}}"


@dataclass(frozen=True, slots=True)
class ResolvedUse:
    """A use and what it gave: ``value`` (None when unknown) and where the value came from:
    ``"built-in"``, ``"data"``, ``"environment"`` or ``"collection"`` (None when unknown)."""

    use: VariableUse
    value: str | None
    source: str | None


@dataclass(frozen=True)
class Scope:
    """Where ``{{name}}`` values come from. The data row wins over the environment, which wins
    over the collection. ``email_domain`` is the domain of ``{{$randomEmail}}``;
    ``environment_name`` only names the environment in messages.

    Values may be strings, numbers or booleans; a number or boolean gives its JSON spelling
    (``true``, ``5``, ``2.5``).
    """

    environment: Mapping[str, Any] = field(default_factory=dict)
    collection: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    email_domain: str | None = None
    environment_name: str | None = None

    @classmethod
    def of(
        cls,
        environment: Environment | None = None,
        collection: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Scope:
        """The scope of an environment (its variables, email domain and name), a collection's
        variables and a data row; any may be None."""
        return cls(
            environment=dict(environment.variables) if environment else {},
            collection=dict(collection or {}),
            data=dict(data or {}),
            email_domain=environment.email_domain if environment else None,
            environment_name=environment.name if environment else None,
        )

    def lookup(self, name: str) -> tuple[str, str] | None:
        """``(value, source)`` of a named variable, or None when no scope defines it."""
        for source, values in (
            ("data", self.data),
            ("environment", self.environment),
            ("collection", self.collection),
        ):
            if name in values:
                return variable_text(values[name]), source
        return None

    def names(self) -> list[str]:
        """Every defined name, sorted."""
        return sorted({*self.data, *self.environment, *self.collection})


def variable_text(value: Any) -> str:
    """The text a variable's value puts into a string: a string as it is, a number or a
    boolean as its JSON spelling."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise TypeError(f"a variable's value must be a string, a number or a boolean, not {value!r}")


@dataclass(frozen=True)
class Resolution:
    """The result of :func:`resolve`.

    ``text`` is the exact resolved text (the template's bytes with each known use replaced by
    its JSON-escaped value). ``uses`` are every use found, with their values. ``findings`` are
    the unknown (error) and malformed (warning) variables, at the template's pointers.
    ``strings`` maps the pointer of each string value that held a use to its resolved value
    (decoded), for showing beside the template. ``resolved`` is False when the text was not
    valid JSON and so was not resolved at all (``text`` is then the template).
    """

    template: str
    text: str
    uses: tuple[ResolvedUse, ...] = ()
    findings: tuple[Finding, ...] = ()
    strings: Mapping[str, str] = field(default_factory=dict)
    resolved: bool = True
    _keys: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when no variable is unknown (the resolved text can be sent)."""
        return not any(f.is_error for f in self.findings)

    @property
    def has_variables(self) -> bool:
        return bool(self.uses) or bool(self.findings)

    def template_pointer(self, resolved_pointer: str) -> str:
        """The template's pointer of a pointer into the resolved event: differs only under a
        member whose name held a variable (a finding of the validator is placed with it)."""
        for resolved, template in self._keys:
            if resolved_pointer == resolved or resolved_pointer.startswith(resolved + "/"):
                return template + resolved_pointer[len(resolved) :]
        return resolved_pointer


class Builtins:
    """The values of the built-in variables for one resolution: the clock is read once.

    ``rng`` draws the random values; ``stable_seed`` instead gives each use its own generator
    seeded from the seed, the use's pointer, name and index, so a preview shows the same values
    while the user edits elsewhere.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        *,
        email_domain: str | None = None,
        stable_seed: int | None = None,
    ) -> None:
        self._clock = clock or local_now
        self._now: datetime | None = None
        self._rng = rng or random.Random()
        self._seed = stable_seed
        self.email_domain = email_domain or DEFAULT_EMAIL_DOMAIN

    def now(self) -> datetime:
        if self._now is None:
            now = self._clock()
            if now.tzinfo is None:  # an offset is promised: a naive clock is read as local time
                now = now.astimezone()
            self._now = now.replace(microsecond=0)
        return self._now

    def value(self, use: VariableUse) -> str | None:
        """The value of a built-in use, or None when no built-in has that name."""
        name = use.name
        now = _NOW.fullmatch(name)
        if now is not None:
            moment = self.now()
            if now["sign"]:
                delta = timedelta(**{_UNITS[now["unit"]]: int(now["amount"])})
                moment = moment + delta if now["sign"] == "+" else moment - delta
            return moment.isoformat(timespec="seconds")
        if name not in BUILTINS:
            return None
        rng = self._rng_for(use)
        if name == "$uuid":
            import uuid  # here: it loads platform, and the window imports this module to start

            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if name == "$timestamp":
            return str(int(self.now().timestamp()))
        if name == "$randomEmail":
            local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
            return f"qa+{local}@{self.email_domain}"
        if name == "$randomPhone":
            return f"+1{rng.choice(_AREA_CODES)}55501{rng.randrange(100):02d}"
        if name == "$randomInt":
            return str(rng.randint(0, RANDOM_INT_MAX))
        return None  # pragma: no cover - every name in BUILTINS is handled above

    def _rng_for(self, use: VariableUse) -> random.Random:
        if self._seed is None:
            return self._rng
        return random.Random(f"{self._seed}\0{use.pointer}\0{int(use.in_key)}\0{use.index}")


def local_now() -> datetime:
    """The current time with the computer's UTC offset."""
    return datetime.now().astimezone()


def find_uses(text: str) -> list[VariableUse]:
    """Every ``{{NAME}}`` in the JSON strings of ``text``, in text order.

    Works on text that does not parse too (pointers are then a best guess); returns quickly
    when the text has no ``{{``.
    """
    return [use for holder in _scan(text)[0] for use in holder.uses]


def resolve(
    text: str,
    scope: Scope | None = None,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    stable_seed: int | None = None,
) -> Resolution:
    """Resolve the variables of JSON ``text`` with ``scope`` (see the module's rules).

    ``clock`` returns the current aware time (default: the computer's, with its offset);
    ``rng`` draws random values (default: a fresh ``random.Random()``); ``stable_seed`` makes
    every use's random value a function of the seed and the use (for previews). Never raises.
    """
    scope = scope or Scope()
    if "{{" not in text:
        return Resolution(text, text)
    try:
        loads(text)
    except ValueError:
        return Resolution(text, text, resolved=False)
    holders, malformed = _scan(text)
    builtins = Builtins(clock, rng, email_domain=scope.email_domain, stable_seed=stable_seed)
    pieces: list[str] = []
    uses: list[ResolvedUse] = []
    findings: list[Finding] = list(malformed)
    # Template pointer -> resolved pointer of each member whose name held a variable, and
    # the resolved value of each string value that held one.
    keys: list[tuple[str, str]] = []
    strings: dict[str, str] = {}
    done = 0
    for holder in holders:
        parts: list[str] = []
        pos = holder.start
        for use in holder.uses:
            value, source = _value_of(use, scope, builtins)
            uses.append(ResolvedUse(use, value, source))
            if value is None:
                findings.append(_unknown(use, scope))
                continue
            parts.append(text[pos : use.start])
            parts.append(_escape(value))
            pos = use.end
        parts.append(text[pos : holder.end])
        token = "".join(parts)
        pieces.append(text[done : holder.start])
        pieces.append(token)
        done = holder.end
        decoded = str(json.loads(token))
        if holder.in_key:
            parent, _, _ = holder.pointer.rpartition("/")
            keys.append((holder.pointer, _map_prefix(parent, keys) + "/" + escape_token(decoded)))
        else:
            strings[holder.pointer] = decoded
    pieces.append(text[done:])
    # resolved -> template, longest first, so a nested member maps through its own entry.
    back = sorted(((r, t) for t, r in keys), key=lambda pair: len(pair[0]), reverse=True)
    return Resolution(
        text, "".join(pieces), tuple(uses), tuple(findings), strings, True, tuple(back)
    )


def _map_prefix(template_parent: str, keys: list[tuple[str, str]]) -> str:
    """The resolved spelling of a template pointer, given the renamed members so far."""
    for template, resolved in sorted(keys, key=lambda pair: len(pair[0]), reverse=True):
        if template_parent == template or template_parent.startswith(template + "/"):
            return resolved + template_parent[len(template) :]
    return template_parent


def describe(name: str) -> str:
    """What a variable gives, in words (built-ins) or where it is looked up."""
    if _NOW.fullmatch(name):
        return BUILTINS["$now"]
    return BUILTINS.get(name, "a value from the data row, the environment or the collection")


def describe_resolved(resolved: ResolvedUse, environment_name: str | None = None) -> str:
    """One line for a use and its (preview) value: ``{{store}} → "Berlin" (from the
    environment "staging")``; a built-in says that each send draws its own value."""
    use = resolved.use
    if resolved.value is None:
        return f"{use.text} has no value"
    value = json.dumps(resolved.value, ensure_ascii=False)
    if len(value) > 80:
        value = value[:60] + "…" + value[-15:]
    if resolved.source == "built-in":
        if use.name == "$timestamp" or _NOW.fullmatch(use.name):
            return f"{use.text} → {value}  ({describe(use.name)}; read again at each send)"
        return f"{use.text} → e.g. {value}  ({describe(use.name)}; a new one at each send)"
    where = resolved.source or "scope"
    if where == "environment" and environment_name:
        where = f'environment "{environment_name}"'
    return f"{use.text} → {value}  (from the {where})"


# --- scanning -------------------------------------------------------------------------------


def _value_of(use: VariableUse, scope: Scope, builtins: Builtins) -> tuple[str | None, str | None]:
    if use.is_builtin:
        try:
            value = builtins.value(use)
        except OverflowError:  # $now+999999d: past the year 9999
            return None, None
        return value, None if value is None else "built-in"
    if _NAME.fullmatch(use.name) is None:
        return None, None
    found = scope.lookup(use.name)
    return (None, None) if found is None else found


def _unknown(use: VariableUse, scope: Scope) -> Finding:
    import difflib  # only for a message: not at start-up

    literal = "\\u007b" + use.text[1:]
    if _NOW.fullmatch(use.name):
        message = f"{use.text} is outside the calendar (years 1 to 9999); use a smaller offset"
    elif use.is_builtin:
        close = difflib.get_close_matches(use.name, [*BUILTINS, "$now+1d"], n=1)
        hint = f"did you mean {{{{{close[0]}}}}}? " if close else ""
        message = (
            f"{use.text} is not a built-in variable; {hint}the built-ins are "
            + ", ".join("{{" + b + "}}" for b in BUILTINS)
            + " ($now takes an offset such as $now+1d or $now-2h; units s, m, h, d)"
        )
    elif _NAME.fullmatch(use.name) is None:
        message = (
            f"{use.text} is not a variable name: use letters, digits, _, - and . "
            f"(starting with a letter or _); to send the braces as they are, write {literal}"
        )
    else:
        known = scope.names()
        close = difflib.get_close_matches(use.name, known, n=1)
        hint = f"did you mean {{{{{close[0]}}}}}? " if close else ""
        if scope.environment_name:
            where = f'the environment "{scope.environment_name}" does not define it'
        elif scope.environment:
            where = "the environment does not define it"
        else:
            where = "no environment is chosen"
        message = (
            f"{use.text} has no value: {where}; {hint}choose an environment that defines "
            f"{use.name} or add it to one, or write {literal} to send the braces as typed"
        )
    return Finding(
        use.pointer,
        Severity.ERROR,
        VARIABLE_UNKNOWN,
        message,
        meta={"variable": use.name, "start": use.start, "end": use.end},
    )


def _malformed(text: str, start: int, ptr: str) -> Finding:
    snippet = text[start : start + 24].split('"', maxsplit=1)[0]
    return Finding(
        ptr,
        Severity.WARNING,
        VARIABLE_MALFORMED,
        f"{snippet!s} starts like a variable but has no closing }}}} (or a blank or brace "
        "inside); it is sent as written. Write {{name}} to use a variable",
        meta={"start": start, "end": start + len(snippet)},
    )


def _escape(value: str) -> str:
    """``value`` as the inside of a JSON string (quotes, backslashes, controls escaped)."""
    out = json.dumps(value, ensure_ascii=False)[1:-1]
    if _SURROGATE.search(out):
        out = printable_text(out)
    return out


@dataclass(frozen=True, slots=True)
class _Holder:
    """A JSON string token that holds at least one use."""

    start: int
    end: int
    pointer: str
    in_key: bool
    uses: tuple[VariableUse, ...]


def _scan(text: str) -> tuple[list[_Holder], list[Finding]]:
    """The strings that hold uses, in text order, and the malformed-variable warnings."""
    holders: list[_Holder] = []
    malformed: list[Finding] = []
    if "{{" not in text:
        return holders, malformed
    for start, token, ptr, in_key in _strings(text):
        if "{{" not in token:
            continue
        matches = list(_USE.finditer(token))
        uses = tuple(
            VariableUse(m[1], start + m.start(), start + m.end(), ptr, in_key, i)
            for i, m in enumerate(matches)
        )
        for m in _OPEN.finditer(token):
            at = m.start()
            if any(u.start() <= at < u.end() for u in matches):
                continue
            after = token[at + 2 : at + 3]
            if after in ("$", "_") or (after.isascii() and after.isalpha()):
                malformed.append(_malformed(text, start + at, ptr))
        if uses:
            holders.append(_Holder(start, start + len(token), ptr, in_key, uses))
    return holders, malformed


def _strings(text: str) -> Iterator[tuple[int, str, str, bool]]:
    """Each JSON string token: ``(offset, raw token, pointer, in_key)``. For a member name the
    pointer is the member's, for a value the value's. Tolerant of text that is not JSON (the
    pointers are then a best guess)."""
    stack: list[_Frame] = []
    for m in _TOKEN.finditer(text):
        tok = m.group()
        first = tok[0]
        top = stack[-1] if stack else None
        if first in ("{", "["):
            stack.append(_Frame(first == "{", _child_pointer(top)))
        elif first in ("}", "]"):
            if stack:
                stack.pop()
        elif first == ",":
            if top is not None and top.is_object:
                top.expect_key = True
        elif first == ":":
            if top is not None:
                top.expect_key = False
        else:
            is_string = first == '"' and len(tok) >= 2 and tok.endswith('"')
            if top is not None and top.is_object and top.expect_key:
                top.key = _decode(tok) if is_string else tok
                if is_string:
                    yield m.start(), tok, top.pointer + "/" + escape_token(top.key), True
                continue
            ptr = _child_pointer(top)
            if is_string:
                yield m.start(), tok, ptr, False


class _Frame:
    """An open container while scanning: its pointer and where its current child is."""

    __slots__ = ("expect_key", "index", "is_object", "key", "pointer")

    def __init__(self, is_object: bool, pointer: str) -> None:
        self.is_object = is_object
        self.pointer = pointer
        self.expect_key = is_object
        self.key = ""
        self.index = -1


def _child_pointer(top: _Frame | None) -> str:
    """The pointer of the next value in ``top`` (moving an array to its next element)."""
    if top is None:
        return ""
    if top.is_object:
        return top.pointer + "/" + escape_token(top.key)
    top.index += 1
    return f"{top.pointer}/{top.index}"


def _decode(token: str) -> str:
    try:
        return str(json.loads(token))
    except ValueError:
        return token[1:-1]
