"""The rule ids that more than one layer reads: one definition, so the validator, the sandbox,
the CLI and the composer cannot drift apart. (Rules only the validator emits keep their ids
where they are made.)"""

from __future__ import annotations

JSON_SYNTAX = "json-syntax"
"""The text is not JSON; the finding has a line and column."""
UNREADABLE = "unreadable"
"""The bytes are not UTF-8 text."""
SYNTAX_RULES = frozenset({JSON_SYNTAX, UNREADABLE})
"""Findings that mean there is no JSON value at all (nothing else can be checked)."""

DUPLICATE_KEY = "duplicate-key"
"""A member name appears twice in one object; Klaviyo keeps the last one. The finding's line
and column are those of the earlier, ignored, member."""
SCHEMA_REQUIRED = "schema-required"
"""A required member is missing: ``Finding.pointer`` names the object, ``Finding.member`` the
missing name."""
UNIQUE_ID_MISSING = "unique-id-missing"

VARIABLE_UNKNOWN = "variable-unknown"
"""A ``{{name}}`` that no built-in, data row, environment or collection defines (an error: the
event cannot be sent as meant). ``Finding.pointer`` is the string that holds it (the member
when it is in a member name); ``meta["variable"]`` the name, ``meta["start"]``/``["end"]`` its
offsets in the template text."""
VARIABLE_MALFORMED = "variable-malformed"
"""``{{`` that starts like a variable but is not one (no closing braces, a blank inside): a
warning, it is sent as written."""


def is_syntax(rule: str) -> bool:
    """True for a rule that means the text has no JSON value."""
    return rule in SYNTAX_RULES
