"""The Form's fields as data: which JSON pointer each field edits, and how a typed text becomes
JSON. Another body shape (a later revision) is another :class:`FormShape` table, not new code.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from composer.domain.findings import Finding, split_pointer

# ASCII digits only: JSON has no others (re's \d would take "١" and json.loads refuse it).
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Digits in groups of three after a first group that does not start with 0: what "1,234"
# (or "1.234" where the locale groups with dots) may mean as a thousands separator.
_GROUPED = {
    sep: re.compile(rf"-?[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+") for sep in (",", ".")
}
# What an input method or a pasted spreadsheet cell writes for the signs of a number: the
# full-width forms and the minus sign (U+2212).
_SIGNS = str.maketrans({"＋": "+", "－": "-", "−": "-", "．": ".", "，": ",", "ｅ": "e", "Ｅ": "E"})


def _ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of another script (Arabic-Indic ``١٢``, full-width
    ``１２``…) written as the ASCII digit it is, and full-width signs as ASCII ones; other
    characters (a superscript ``²`` is no decimal digit) are left for the reader to refuse."""
    if text.isascii():
        return text
    out = []
    for ch in text.translate(_SIGNS):
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(ch if digit is None else str(digit))
    return "".join(out)


class FieldKind(StrEnum):
    """How a field shows and edits its value."""

    TEXT = "text"  # a string; empty removes the member
    NUMBER = "number"  # a JSON number as typed; empty removes the member
    CHANNELS = "channels"  # a list of strings picked from check boxes
    TIME = "time"  # an ISO 8601 date-time string
    MEMBERS = "members"  # an object edited in the property tree
    FLAG = "flag"  # true, false or absent (a check box)


@dataclass(frozen=True, slots=True)
class FieldBinding:
    """One Form field: its key (``"$email"``, ``"value"``…) and the pointer it edits.

    ``hidden``: for a MEMBERS field, member names other fields of the form show.
    ``holders``: how many objects around the member exist only to hold it (the profile's
    ``location`` for ``location.city``): setting the field makes them, emptying it removes
    those it leaves empty, so a field typed into and emptied again sends nothing.
    """

    key: str
    pointer: str
    kind: FieldKind = FieldKind.TEXT
    hidden: tuple[str, ...] = ()
    holders: int = 0


@dataclass(frozen=True)
class FormShape:
    """The fields of one body shape. ``anchors`` send a finding about a whole object that has
    no field of its own (the profile, the metric) to the field that fills it."""

    name: str
    fields: tuple[FieldBinding, ...]
    anchors: dict[str, str] = field(default_factory=dict)

    def binding(self, key: str) -> FieldBinding:
        """The field with this key (KeyError if the shape has none)."""
        for b in self.fields:
            if b.key == key:
                return b
        raise KeyError(key)

    def keys(self) -> tuple[str, ...]:
        return tuple(b.key for b in self.fields)

    def field_for(self, finding: Finding) -> tuple[str, tuple[str, ...]] | None:
        """The field a finding is about, and the path inside it (for a MEMBERS field):
        matched on the finding's pointer and absent member, never on its words. A finding
        about an object that only holds fields (the profile's location) goes to the first
        of them."""
        try:
            target = split_pointer(finding.target)
        except ValueError:
            return None
        exact = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in target)
        if exact in self.anchors:
            return self.anchors[exact], ()
        best: tuple[int, FieldBinding] | None = None
        for b in self.fields:
            tokens = split_pointer(b.pointer)
            if target[: len(tokens)] != tokens:
                continue
            rest = target[len(tokens) :]
            if rest and b.kind is not FieldKind.MEMBERS:
                continue
            if rest and rest[0] in b.hidden:
                continue
            if best is None or len(tokens) > best[0]:
                best = (len(tokens), b)
        if best is None:
            # an object that holds fields but is no field itself (the profile's location):
            # its first field, where a person fixes it (not the body or its attributes,
            # which hold every field)
            inside = exact + "/"
            holders = [b for b in self.fields if b.pointer.startswith(inside)]
            if holders and len(holders) < len(self.fields):
                return holders[0].key, ()
            return None
        return best[1].key, tuple(target[best[0] :])


def _profile_fields(base: str, names: dict[str, str]) -> tuple[FieldBinding, ...]:
    return tuple(FieldBinding(key, f"{base}/{member}") for key, member in names.items())


def event_shape_2023_01_24() -> FormShape:
    """The body shape of revisions up to 2023-06-15: profile and metric as flat objects."""
    profile = "/data/attributes/profile"
    special: tuple[str, ...] = ("$email", "$phone_number", "$first_name", "$last_name")
    special += ("$city", "$region", "$country", "$zip", "$image")
    escaped = {k: k for k in special}
    return FormShape(
        "2023-01-24",
        (
            *_profile_fields(profile, escaped),
            FieldBinding("consent", f"{profile}/$consent", FieldKind.CHANNELS),
            FieldBinding(
                "profile_properties", profile, FieldKind.MEMBERS, hidden=(*special, "$consent")
            ),
            FieldBinding("metric_name", "/data/attributes/metric/name"),
            FieldBinding("metric_service", "/data/attributes/metric/service"),
            FieldBinding("properties", "/data/attributes/properties", FieldKind.MEMBERS),
            FieldBinding("time", "/data/attributes/time", FieldKind.TIME),
            FieldBinding("value", "/data/attributes/value", FieldKind.NUMBER),
            FieldBinding("unique_id", "/data/attributes/unique_id"),
        ),
        anchors={profile: "$email", "/data/attributes/metric": "metric_name"},
    )


@dataclass(frozen=True, slots=True)
class NumberInput:
    """What a typed number means: ``json_text`` to write (None when it is not a number) and
    ``problem`` to show when it is not."""

    json_text: str | None
    problem: str = ""


def read_number(text: str, decimal_point: str = ".", group_separator: str = ",") -> NumberInput:
    """Turn what someone typed into a JSON number, keeping its spelling (``10.50`` stays
    ``10.50``). The locale's decimal separator is accepted where it cannot be anything else:
    ``59,90`` is 59.90 when the locale writes decimals with a comma, and also where a comma
    cannot be a thousands separator (not followed by exactly three digits). Where the locale
    groups thousands with a dot, ``1.234`` is not guessed either way. Digits of other scripts
    (``١٢``, full-width ``１２``) are the number they show."""
    t = _ascii_digits(text.strip())
    if _JSON_NUMBER.fullmatch(t):
        if group_separator == "." and _GROUPED["."].fullmatch(t):
            # "1.234" where the locale writes 1.234 for 1234: a thousandth or a thousand?
            return _ambiguous(text, t, t.replace(".", ""))
        return _finite(t, text)
    if t.count(",") == 1 and "." not in t:
        candidate = t.replace(",", ".")
        grouped = _GROUPED[","].fullmatch(t) is not None
        if _JSON_NUMBER.fullmatch(candidate) and (decimal_point == "," or not grouped):
            return _finite(candidate, text)
    if decimal_point != "." and t.count(decimal_point) == 1:
        candidate = t.replace(group_separator, "").replace(decimal_point, ".")
        if _JSON_NUMBER.fullmatch(candidate):
            return _finite(candidate, text)
    if t.startswith("+") and _JSON_NUMBER.fullmatch(t[1:]):
        return _finite(t[1:], text)
    tidy = _tidy(t)
    if tidy != t:  # "007", ".5", "5.": one number however written
        read = read_number(tidy, decimal_point, group_separator)
        if read.json_text is not None:
            return read
    return NumberInput(
        None,
        f'"{text}" is not a number: write it like 9.99 (digits, one decimal point, no '
        "thousands separators)",
    )


_LEADING_ZEROS = re.compile(r"^([+-]?)0+(?=[0-9])")
_BARE_POINT = re.compile(r"^([+-]?)([.,])(?=[0-9])")
_TRAILING_POINT = re.compile(r"(?<=[0-9])[.,]$")


def _tidy(t: str) -> str:
    """``t`` without what JSON does not write but cannot change the number: leading zeros
    (``007``), a point with no digit before it (``.5``) or after it (``5.``)."""
    t = _LEADING_ZEROS.sub(r"\1", t)
    t = _BARE_POINT.sub(r"\g<1>0\2", t)
    return _TRAILING_POINT.sub("", t)


def _ambiguous(typed: str, decimal: str, thousands: str) -> NumberInput:
    return NumberInput(
        None,
        f'"{typed.strip()}" could mean {decimal} or {thousands}: write {thousands}, or '
        f"{decimal.replace('.', ',')} for the decimal",
    )


def _finite(candidate: str, typed: str) -> NumberInput:
    if not math.isfinite(float(candidate)):
        return NumberInput(None, f'"{typed}" is too large for a JSON number')
    json.loads(candidate)
    return NumberInput(candidate)
