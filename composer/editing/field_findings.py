"""What the Form shows beside its fields, without Qt: each field's finding (the first, most
severe one), the findings inside the property trees by path, and under a field whose text
holds variables its value as the next send would resolve it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from composer.domain.findings import Finding, Severity, array_index, describe_pointer
from composer.domain.rule_ids import DUPLICATE_KEY
from composer.editing.fields import FormShape

if TYPE_CHECKING:  # the variables load with the first text that holds one, not at start-up
    from composer.domain.variables import Resolution

TREE_FIELDS = ("properties", "profile_properties")
"""The fields shown as property trees: their findings are placed on a path inside them."""

TreePath = tuple[str | int, ...]
"""A value's place inside a property tree: member names and array indices."""


def tree_path(tokens: tuple[str, ...]) -> TreePath:
    """A pointer's tokens below a tree field as a tree path (digits are array indices)."""
    return tuple(p if (i := array_index(p)) is None else i for p in tokens)


@dataclass(slots=True)
class FieldFindings:
    """Findings by field key, and per tree field by path (severity and message)."""

    per_field: dict[str, Finding] = field(default_factory=dict)
    in_trees: dict[str, dict[TreePath, tuple[Severity, str]]] = field(
        default_factory=lambda: {key: {} for key in TREE_FIELDS}
    )


def place_findings(shape: FormShape, findings: Iterable[Finding]) -> FieldFindings:
    """Send each finding to the field of ``shape`` it names; a field shows its first finding,
    unless a later one is an error and that one is not."""
    placed = FieldFindings()
    for f in findings:
        place = shape.field_for(f)
        if place is None:
            continue
        key, sub = place
        if key in placed.in_trees and sub:
            placed.in_trees[key].setdefault(tree_path(sub), (f.severity, finding_text(f)))
        shown = placed.per_field.get(key)
        if shown is None or (f.is_error and not shown.is_error):
            placed.per_field[key] = f
    return placed


def finding_text(finding: Finding) -> str:
    """A field's finding in words, saying when Klaviyo reported it. A repeated member is
    told from the field's side: the Form shows the last one, which Klaviyo keeps, while the
    finding's own words are about the earlier one it ignores."""
    if finding.rule == DUPLICATE_KEY:
        where = f" (line {finding.line})" if finding.line else ""
        return (
            f"{describe_pointer(finding.pointer)} is given more than once: this is the last "
            f"one, kept by Klaviyo; an earlier one{where} is ignored: remove it in Raw JSON "
            "(click the problem to go there)"
        )
    origin = " (reported by Klaviyo)" if finding.source == "server" else ""
    return finding.message + origin


@dataclass(frozen=True, slots=True)
class FieldHint:
    """Under a field: ``text`` (its resolved value) and ``sources`` (each variable's source)."""

    text: str
    sources: str


def field_hint(
    shape: FormShape, key: str, resolution: Resolution, environment: str | None
) -> FieldHint | None:
    """The resolved value of field ``key`` (None: the field holds no variable, or one is
    unknown, which the error under the field already says)."""
    pointer = shape.binding(key).pointer
    value = resolution.strings.get(pointer)
    if value is None:
        return None
    uses = [u for u in resolution.uses if u.use.pointer == pointer and not u.use.in_key]
    if any(u.value is None for u in uses):
        return None
    from composer.domain.variables import describe_resolved

    return FieldHint("→ " + value, "\n".join(describe_resolved(u, environment) for u in uses))
