"""The pure rules of a collection folder: which file names are requests, expectations and
order files, which names a person may give a request or a folder, the order items are shown
and run in, and the one stable JSON layout every file this app writes uses.

A collection is a folder a team keeps in git (see docs/collections.md)::

    checkout/                       the collection
      order.json                    optional: the order of this folder's items
      placed-order.event.json       a request: the body, variables allowed
      placed-order.expect.json      optional: what must happen when it is sent
      invalid/                      a subfolder groups requests (its own order.json)
      environments/sandbox.json     environments (only at the top)

No I/O here: composer.storage.collections reads and writes the files.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from composer.domain.jsontext import loads

EVENT_SUFFIX = ".event.json"
"""A request's body: ``NAME.event.json``."""
EXPECT_SUFFIX = ".expect.json"
"""A request's expectations: ``NAME.expect.json`` beside its body."""
ORDER_FILE = "order.json"
"""Optional in any folder: the order of its requests and subfolders."""
COLLECTION_FILE = "collection.json"
"""Optional at the top: the collection's own settings, ``{"variables": {...}}``."""
ENVIRONMENTS_FOLDER = "environments"
"""At the top of a collection: ``environments/NAME.json``, never a folder of requests."""
FOLDER_MARK = "/"
"""In an order file, a subfolder's name ends with this (a request and a folder may share a
name)."""

MAX_NAME_LENGTH = 120
"""Characters in a request or folder name (file systems allow 255 bytes with the suffix)."""
MAX_REQUEST_BYTES = 5_500_000
"""A request file above this is not read: Klaviyo refuses bodies over 5 MB anyway."""
MAX_SMALL_FILE_BYTES = 1_000_000
"""Expectation, order and environment files are small; above this they are not read."""

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_FORBIDDEN = set('/\\:*?"<>|')


def name_problem(name: str, *, folder: bool = False, top_level: bool = False) -> str | None:
    """Why ``name`` cannot name a request (or a folder), in words; None when it can.

    Names must travel through git to every system a team uses, so the rules are the
    portable ones: no path separators or characters Windows refuses, no control
    characters, no leading dot (hidden) or trailing dot/space, not a device name.
    """
    what = "a folder name" if folder else "a request name"
    if not name or not name.strip():
        return f"{what} cannot be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"{what} can have at most {MAX_NAME_LENGTH} characters, not {len(name)}"
    bad = sorted({c for c in name if c in _FORBIDDEN})
    if bad:
        shown = " ".join(bad)
        if "/" in bad or "\\" in bad:
            return f"{what} cannot contain a path separator ({shown}); use a subfolder instead"
        return f"{what} cannot contain {shown} (not every system can store it)"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return f"{what} cannot contain control or invisible characters"
    if name.startswith("."):
        return f"{what} cannot start with a dot (the file would be hidden)"
    if name != name.rstrip(" ."):
        return f"{what} cannot end with a space or a dot"
    if name != name.lstrip(" "):
        return f"{what} cannot start with a space"
    if name.split(".", maxsplit=1)[0].lower() in _WINDOWS_RESERVED:
        return f"{name!r} is a device name on Windows; choose another {what}"
    if not folder and (name.endswith(".event") or name.endswith(".expect")):
        return f"{what} cannot end with .event or .expect (the suffix is added for you)"
    if folder and top_level and name == ENVIRONMENTS_FOLDER:
        return f"{ENVIRONMENTS_FOLDER!r} at the top holds environments, not requests"
    return None


def request_name(file_name: str) -> str | None:
    """The request a file name holds the body of (``a.event.json`` -> ``a``), else None."""
    if file_name.endswith(EVENT_SUFFIX) and len(file_name) > len(EVENT_SUFFIX):
        return file_name[: -len(EVENT_SUFFIX)]
    return None


def expectation_name(file_name: str) -> str | None:
    """The request a file name holds the expectations of (``a.expect.json`` -> ``a``)."""
    if file_name.endswith(EXPECT_SUFFIX) and len(file_name) > len(EXPECT_SUFFIX):
        return file_name[: -len(EXPECT_SUFFIX)]
    return None


def copy_name(name: str, taken: Iterable[str]) -> str:
    """The name a duplicate of ``name`` gets: ``NAME copy``, ``NAME copy 2``, ... (the first
    one not in ``taken``)."""
    used = set(taken)
    base = f"{name} copy"
    if len(base) > MAX_NAME_LENGTH:
        base = base[-MAX_NAME_LENGTH:].lstrip(" .") or "copy"
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base} {n}"
        n += 1
    return candidate


def order_key(name: str, *, folder: bool) -> str:
    """How an item is named in an order file: a folder's name ends with ``/``."""
    return name + FOLDER_MARK if folder else name


def ordered(
    items: Sequence[tuple[str, bool]], order: Sequence[str] | None
) -> list[tuple[str, bool]]:
    """``items`` (name, is_folder) in display and run order.

    The items the order file lists come first, in its order; the rest follow, requests before
    folders, each by name (case-insensitive, then exact). Names the order file lists that do
    not exist are skipped (the next write of the file drops them).
    """
    rank = {key: i for i, key in enumerate(order or ())}
    listed = [it for it in items if order_key(it[0], folder=it[1]) in rank]
    listed.sort(key=lambda it: rank[order_key(it[0], folder=it[1])])
    rest = [it for it in items if order_key(it[0], folder=it[1]) not in rank]
    rest.sort(key=lambda it: (it[1], it[0].casefold(), it[0]))
    return listed + rest


def parse_order(text: str) -> list[str]:
    """The names of an order file (a JSON array of strings, folders ending with ``/``).

    Raises ValueError with a sentence that says what would be right.
    """
    try:
        value = loads(text)
    except ValueError as exc:
        raise ValueError(f"is not JSON ({exc})") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(
            'must be a JSON array of names, e.g. ["placed-order", "invalid/"] (a folder\'s '
            "name ends with /)"
        )
    return list(value)


def format_json(value: Any) -> str:
    """The stable layout of every JSON file this app writes, so diffs stay small: two-space
    indent, members in the order given, UTF-8 characters as they are, one newline at the end."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
"""The names ``{{name}}`` can use (composer.domain.variables reads them so)."""


def parse_collection_file(text: str) -> dict[str, Any]:
    """The variables of a ``collection.json`` (``{"variables": {"store": "Berlin"}}``): the
    widest scope of ``{{name}}``, below the environment's and a data row's. Members other than
    ``variables`` are left for later versions. Raises ValueError saying what would be right."""
    try:
        doc = loads(text)
    except ValueError as exc:
        raise ValueError(f"is not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError('must be a JSON object such as {"variables": {"store": "Berlin"}}')
    variables = doc.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError('variables must be an object such as {"store": "Berlin"}')
    for name, value in variables.items():
        if _VARIABLE_NAME.fullmatch(name) is None:
            raise ValueError(
                f"variables.{name} is not a usable name: use letters, digits, _, - and . "
                "starting with a letter or _ (it is written {{name}} in an event)"
            )
        if not isinstance(value, str | int | float) or value is None:
            raise ValueError(
                f"variables.{name} must be a string, a number or true/false, not "
                f"{json.dumps(value)[:40]}"
            )
    return dict(variables)
