"""Numbers keep the spelling they were written with when a body is read, rewritten and
written again (a conversion between revisions): ``1.10``, ``1e2``, ``0.30000000000000000001``
come out as they went in, not as Python's float repr (``1.1``, ``100.0``, ``0.3``).

Reading wraps each decimal literal in a :class:`SpelledFloat`, a float that remembers its text;
it is a float, so whatever handles the body (the converter shares values, it does not copy
them) sees the number. Writing puts each remembered literal back where its value went. Only
literals that Python would spell otherwise cost anything: a body without one is written as
plainly as by ``json``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any


class SpelledFloat(float):
    """A float read from JSON text, with the literal it was written as."""

    text: str

    def __new__(cls, literal: str) -> SpelledFloat:
        number = super().__new__(cls, literal)
        number.text = literal
        return number


def read_keeping_spelling(text: str | bytes) -> tuple[Any, bool]:
    """The value of JSON ``text`` (already known to be readable: ``parse_json_text`` said so)
    with every decimal literal that Python would spell otherwise kept as a
    :class:`SpelledFloat`, and whether there was one."""
    odd: list[bool] = []

    def number(literal: str) -> float:
        value = float(literal)
        if float.__repr__(value) == literal:
            return value
        odd.append(True)
        return SpelledFloat(literal)

    return json.loads(text, parse_float=number), bool(odd)


def dump_keeping_spelling(value: Any, *, minify: bool = False, spelled: bool = True) -> str:
    """``value`` as JSON text (UTF-8 kept readable; 2-space indent, or one line with
    ``minify``), each :class:`SpelledFloat` written as the literal it was read from.
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
    for placeholder, literal in kept.items():
        text = text.replace(json.dumps(placeholder), literal, 1)
    return text


def _swap(value: Any, kept: dict[str, str], nonce: str) -> Any:
    """``value`` with each spelled float replaced by a placeholder string (containers on the
    way copied; everything else shared)."""
    if type(value) is SpelledFloat:
        placeholder = f"\x00{nonce}:{len(kept)}\x00"
        kept[placeholder] = value.text
        return placeholder
    if isinstance(value, dict):
        out_d: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            new = _swap(item, kept, nonce)
            changed = changed or new is not item
            out_d[key] = new
        return out_d if changed else value
    if isinstance(value, list):
        out_l = [_swap(item, kept, nonce) for item in value]
        return out_l if any(a is not b for a, b in zip(out_l, value, strict=True)) else value
    return value
