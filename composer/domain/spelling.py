"""Numbers and strings keep the spelling they were written with when a body is read,
rewritten and written again (a conversion between revisions): ``1.10``, ``1e2``,
``0.30000000000000000001`` and ``"caf\\u00e9"`` come out as they went in, not as Python
spells them (``1.1``, ``100.0``, ``0.3``, ``"café"``).

Reading wraps each such literal in a :class:`SpelledFloat` or :class:`SpelledStr`, a float or
str that remembers its text; it is a float or a str, so whatever handles the body (the
converter shares values, it does not copy them) sees the value, and a member name keeps its
spelling as a dict key. Writing puts each remembered literal back where its value went. Only
literals that Python would spell otherwise cost anything: a body without one is written as
plainly as by ``json``.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
"""A string literal of JSON text (outside them JSON has no quote mark)."""


class SpelledFloat(float):
    """A float read from JSON text, with the literal it was written as."""

    text: str

    def __new__(cls, literal: str) -> SpelledFloat:
        number = super().__new__(cls, literal)
        number.text = literal
        return number


class SpelledStr(str):
    """A string read from JSON text, with the literal it was written as (quotes included)."""

    text: str

    def __new__(cls, value: str, literal: str) -> SpelledStr:
        string = super().__new__(cls, value)
        string.text = literal
        return string


class _Pairs(list[tuple[str, Any]]):
    """An object's members in the order written (duplicates included), while reading."""


def read_keeping_spelling(text: str | bytes) -> tuple[Any, bool]:
    """The value of JSON ``text`` (already known to be readable: ``parse_json_text`` said so)
    with every decimal literal that Python would spell otherwise kept as a
    :class:`SpelledFloat`, every string literal it would spell otherwise (an escape such as
    ``\\u00e9`` or ``\\/``) as a :class:`SpelledStr`, and whether there was one."""
    odd: list[bool] = []

    def number(literal: str) -> float:
        value = float(literal)
        if float.__repr__(value) == literal:
            return value
        odd.append(True)
        return SpelledFloat(literal)

    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if "\\" not in text:  # no escape: every string is written as Python writes it
        return json.loads(text, parse_float=number), bool(odd)
    literals = iter(_STRING.findall(text))  # in the order the values come, keys included
    value = json.loads(text, parse_float=number, object_pairs_hook=_Pairs)
    return _respell(value, literals, odd), bool(odd)


def _respell(value: Any, literals: Any, odd: list[bool]) -> Any:
    """``value`` read with :class:`_Pairs` for objects, made plain dicts again, each string
    paired with its literal in document order."""
    if isinstance(value, str):
        return _spelled(value, next(literals), odd)
    if isinstance(value, _Pairs):
        members = []
        for key, item in value:
            spelled_key = _spelled(key, next(literals), odd)
            members.append((spelled_key, _respell(item, literals, odd)))
        return dict(members)  # a repeated member: its first place, its last value, as json
    if isinstance(value, list):
        return [_respell(item, literals, odd) for item in value]
    return value


def _spelled(value: str, literal: str, odd: list[bool]) -> str:
    if "\\" not in literal or json.dumps(value, ensure_ascii=False) == literal:
        return value
    odd.append(True)
    return SpelledStr(value, literal)


def dump_keeping_spelling(value: Any, *, minify: bool = False, spelled: bool = True) -> str:
    """``value`` as JSON text (UTF-8 kept readable; 2-space indent, or one line with
    ``minify``), each :class:`SpelledFloat` and :class:`SpelledStr` written as the literal it
    was read from.
    ``spelled=False``: the value holds none (as :func:`read_keeping_spelling` said), so it is
    written plainly, without a walk."""
    separators = (",", ":") if minify else None
    if not spelled:
        return json.dumps(
            value, ensure_ascii=False, indent=None if minify else 2, separators=separators
        )
    kept: dict[str, str] = {}
    nonce = secrets.token_hex(8)
    swapped = _swap(value, kept, nonce)
    text = json.dumps(
        swapped,
        ensure_ascii=False,
        indent=None if minify else 2,
        separators=separators,
    )
    if not kept:
        return text
    # one pass over the text for all of them (a replace per literal is quadratic)
    literals = list(kept.values())
    written = re.compile(re.escape(json.dumps(f"\x00{nonce}:")[:-1]) + r"(\d+)\\u0000\"")
    return written.sub(lambda found: literals[int(found.group(1))], text)


def _swap(value: Any, kept: dict[str, str], nonce: str) -> Any:
    """``value`` with each spelled float replaced by a placeholder string (containers on the
    way copied; everything else shared)."""
    if type(value) is SpelledFloat or type(value) is SpelledStr:
        placeholder = f"\x00{nonce}:{len(kept)}\x00"
        kept[placeholder] = value.text
        return placeholder
    if isinstance(value, dict):
        out_d: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            new = _swap(item, kept, nonce)
            new_key = _swap(key, kept, nonce) if type(key) is SpelledStr else key
            changed = changed or new is not item or new_key is not key
            out_d[new_key] = new
        return out_d if changed else value
    if isinstance(value, list):
        out_l = [_swap(item, kept, nonce) for item in value]
        return out_l if any(a is not b for a, b in zip(out_l, value, strict=True)) else value
    return value
