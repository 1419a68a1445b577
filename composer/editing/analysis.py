"""One pass over the composer's text: parse, validate, find duplicate members, locate findings.

Pure Python (no Qt) so it can run on a worker thread and be tested alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from composer.domain.findings import (
    Finding,
    Severity,
    ValidationReport,
    describe_pointer,
    sort_findings,
)
from composer.domain.jsontext import line_column, parse_json_text
from composer.domain.rule_ids import DUPLICATE_KEY, is_syntax
from composer.domain.templates import check_template
from composer.domain.validator import Validator
from composer.domain.variables import Resolution, Scope
from composer.editing.jsontree import DuplicateKey, EditTree
from composer.editing.locator import (
    JsonLocator,
    JsonSpan,
    member_end,
    offset_of_line_column,
    value_end,
)


@dataclass(frozen=True)
class Analysis:
    """What one text means: the parsed value and its tree (when it parses), the findings,
    and where each finding sits in the text (see :func:`span_key`)."""

    generation: int
    text: str
    payload: Any
    tree: EditTree | None
    findings: tuple[Finding, ...]
    syntax: Finding | None
    spans: dict[str, JsonSpan] = field(default_factory=dict)
    resolution: Resolution | None = None
    """The text's variables and their preview values, when it holds any (the findings are
    then those of the resolved event, placed on the template)."""

    @property
    def parsed(self) -> bool:
        return self.syntax is None


def span_key(finding: Finding) -> str:
    """The key of a finding in :attr:`Analysis.spans`: findings placed by line and column
    (syntax errors, the earlier of two duplicate members) by those, the rest by pointer."""
    if finding.line is not None:
        return f"#{finding.rule}:{finding.line}:{finding.column}"
    return finding.pointer


def duplicate_findings(text: str, duplicates: Sequence[DuplicateKey]) -> list[Finding]:
    """A warning for each member name that appears again later in its object."""
    out = []
    for dup in duplicates:
        line, column = line_column(text, dup.key_start)
        where = describe_pointer(dup.pointer)
        out.append(
            Finding(
                dup.pointer,
                Severity.WARNING,
                DUPLICATE_KEY,
                f"{where} is given more than once in the same object; Klaviyo keeps the last "
                f'one and ignores this one: remove or rename the extra "{dup.key}"',
                line=line,
                column=column,
            )
        )
    return out


def spans_for(
    text: str, findings: Iterable[Finding], tree: EditTree | None = None
) -> dict[str, JsonSpan]:
    """Text spans of the findings: by line and column, else by pointer (the nearest existing
    ancestor for an absent member)."""
    locator: JsonLocator | None = None
    spans: dict[str, JsonSpan] = {}
    for f in findings:
        key = span_key(f)
        if key in spans:
            continue
        if f.line is not None:
            pos = offset_of_line_column(text, f.line, f.column or 1)
            if f.rule == DUPLICATE_KEY:
                spans[key] = JsonSpan(pos, member_end(text, pos), pos, value_end(text, pos))
                continue
            # Mark the token the parser stumbled on (to the end of its line at most).
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            end = min(max(value_end(text, pos), pos + 1), max(line_end, pos + 1), len(text))
            spans[key] = JsonSpan(pos, end, exact=False)
            continue
        if tree is not None:
            found = tree.nearest(f.pointer)
            if found is not None:
                s, exact = found
                spans[key] = JsonSpan(s.value_start, s.value_end, s.key_start, s.key_end, exact)
            continue
        locator = locator or JsonLocator(text)
        span = locator.locate(f.pointer, nearest=True)
        if span is not None:
            spans[key] = span
    return spans


def analyse(
    text: str,
    validator: Validator,
    generation: int = 0,
    *,
    with_tree: bool = True,
    scope: Scope | None = None,
    preview_seed: int | None = None,
) -> Analysis:
    """Validate ``text``, find its duplicate members and locate its findings; never raises.

    ``with_tree``: also read the tree of positions (the caller has none for this text). It is
    read anyway when there are duplicate members, to place them; otherwise the few findings
    are placed by a scanner that reads only the path to each.

    A text with variables (``{{...}}``) is resolved with ``scope`` and the resolved event is
    validated (composer.domain.templates); unknown variables are error findings.
    ``preview_seed`` keeps the random preview values the same from one analysis to the next.
    """
    if "{{" in text:
        parsed = parse_json_text(text)
        if parsed.finding is None:
            checked = check_template(text, validator, scope, stable_seed=preview_seed)
            if checked.resolution.has_variables:
                report = ValidationReport(checked.report.findings, parsed.value)
                return _located(text, report, generation, with_tree, checked.resolution)
    report = validator.validate_text(text)
    return _located(text, report, generation, with_tree, None)


def _located(
    text: str,
    report: ValidationReport,
    generation: int,
    with_tree: bool,
    resolution: Resolution | None,
) -> Analysis:
    syntax = next((f for f in report.findings if is_syntax(f.rule)), None)
    if syntax is not None:
        return Analysis(generation, text, None, None, (syntax,), syntax, spans_for(text, (syntax,)))
    tree: EditTree | None = None
    duplicates: list[DuplicateKey] = []
    if with_tree or has_duplicate_members(text):
        tree, duplicates = EditTree.parse(text)
    findings = sort_findings([*report.findings, *duplicate_findings(text, duplicates)])
    return Analysis(
        generation,
        text,
        report.payload,
        tree,
        findings,
        None,
        spans_for(text, findings, tree),
        resolution,
    )


def has_duplicate_members(text: str) -> bool:
    """True when some object of (valid JSON) ``text`` names a member twice (C-speed read)."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj = dict(items)
        if len(obj) != len(items):
            found = True
        return obj

    json.loads(text, object_pairs_hook=pairs)
    return found


def merge_findings(local: Sequence[Finding], server: Sequence[Finding]) -> list[Finding]:
    """Ours followed by the server's, errors first whoever found them. A local finding the
    server reported too (same member, same words) is listed once, as the server's."""
    if not server:
        return list(local)
    confirmed = {(f.pointer, f.meta.get("detail")) for f in server}
    kept = [f for f in local if (f.pointer, f.message) not in confirmed]
    return sorted([*kept, *server], key=lambda f: not f.is_error)


def count_words(findings: Iterable[Finding]) -> str:
    """'2 errors, 1 warning' — or 'no problems'."""
    items = list(findings)
    errors = sum(1 for f in items if f.severity is Severity.ERROR)
    warnings = len(items) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) or "no problems"
