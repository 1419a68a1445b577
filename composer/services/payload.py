"""Small facts about an event body the send path needs: its metric, its profile, its
unique_id. Bodies may be invalid (QA sends them with --force), so nothing here assumes shape."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from composer.domain.revisions import Revision


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    node = payload
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def metric_name(payload: Any, revision: Revision) -> str | None:
    """The metric name, or None when the body has none."""
    name = _get(payload, revision.metric_name_path)
    return name if isinstance(name, str) else None


def profile_label(payload: Any, revision: Revision) -> str | None:
    """The profile identifier shown in listings: the email, else the phone number, else the
    profile's Klaviyo id (later layout), else another identifier the revision knows
    (external_id, anonymous_id, _kx, $id...): a profile Klaviyo accepts is never shown as none."""
    shape = revision.profile
    profile = _get(payload, shape.path)
    if not isinstance(profile, dict):
        profile = {}
    for key in (shape.email_key, shape.phone_key):
        value = profile.get(key)
        if isinstance(value, str) and value:
            return value
    profile_id = _get(payload, shape.id_path) if shape.id_path else None
    if isinstance(profile_id, str) and profile_id:
        return profile_id
    for key in shape.other_identifier_keys:
        value = profile.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def unique_id_in(payload: Any) -> str | None:
    """The body's ``data.attributes.unique_id`` when it is a non-empty string, else None."""
    value = _get(payload, ("data", "attributes", "unique_id"))
    return value if isinstance(value, str) and value else None


def with_unique_id(
    payload: Any,
    unique_id: str | None = None,
    *,
    replace: bool = False,
    raw: bytes | None = None,
) -> tuple[bytes, str] | None:
    """The body with ``data.attributes.unique_id`` set to ``unique_id`` (or a new UUID), and
    that id. None when the body has no ``data.attributes`` object to put it in, or, unless
    ``replace``, when it already has one (any value, even an odd one: that is the user's choice).

    Given the body's ``raw`` bytes, only the unique_id is written into them and every other
    byte stays as typed (layout, number spelling, escapes); else the payload is re-serialised.
    """
    attributes = _get(payload, ("data", "attributes"))
    if not isinstance(attributes, dict):
        return None
    if attributes.get("unique_id") is not None and not replace:
        return None
    value = unique_id or str(uuid.uuid4())
    filled = dict(payload)
    filled["data"] = dict(payload["data"])
    filled["data"]["attributes"] = {**attributes, "unique_id": value}
    if raw is not None:
        edited = _edit_in_place(raw, filled, value, "unique_id" in attributes)
        if edited is not None:
            return edited, value
    return json.dumps(filled, ensure_ascii=False).encode("utf-8"), value


_EXISTING = re.compile(rb'"unique_id"\s*:\s*("(?:[^"\\]|\\.)*"|null|-?[0-9][^,}\s]*|true|false)')
_ATTRIBUTES = re.compile(rb'"attributes"\s*:\s*\{')


def _edit_in_place(raw: bytes, wanted: Any, value: str, present: bool) -> bytes | None:
    """``raw`` with the unique_id written in (replacing the present one, or inserted first in
    ``attributes``) if some such edit parses to ``wanted``; None when none does (then the
    caller re-serialises). Each candidate is checked by parsing, so a look-alike elsewhere in
    the body (a property named unique_id) is never the one edited."""
    literal = json.dumps(value, ensure_ascii=False).encode("utf-8")
    candidates: list[bytes] = []
    if present:
        for match in _EXISTING.finditer(raw):
            start, end = match.span(1)
            candidates.append(raw[:start] + literal + raw[end:])
    else:
        for match in _ATTRIBUTES.finditer(raw):
            at = match.end()
            rest = raw[at:].lstrip()
            member = b'"unique_id": ' + literal + (b"" if rest.startswith(b"}") else b", ")
            candidates.append(raw[:at] + member + raw[at:])
    for candidate in candidates:
        try:
            if json.loads(candidate) == wanted:
                return candidate
        except (ValueError, RecursionError):
            continue
    return None
