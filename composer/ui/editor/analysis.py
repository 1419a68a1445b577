"""One pass over the composer's text: parse, validate, build the draft, locate the findings.

Pure Python (no Qt) so it can run on a worker thread and be tested alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from composer.domain.draft import EventDraft
from composer.domain.findings import Finding, Severity
from composer.domain.jsontext import parse_json_text
from composer.domain.validator import Validator
from composer.ui.editor.jsonmap import JsonLocator, JsonSpan, offset_of_line_column, value_end

SYNTAX_RULES = ("json-syntax", "unreadable")


@dataclass(frozen=True)
class Analysis:
    """What one text means: the parsed value and draft (when it parses), the findings, and
    where each finding's pointer sits in the text."""

    generation: int
    text: str
    payload: Any
    draft: EventDraft | None
    findings: tuple[Finding, ...]
    syntax: Finding | None
    spans: dict[str, JsonSpan] = field(default_factory=dict)

    @property
    def parsed(self) -> bool:
        return self.syntax is None


def dump(payload: Any, *, minify: bool = False) -> str:
    """The composer's canonical text of a payload (2-space indent, UTF-8 kept readable)."""
    if minify:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(payload, indent=2, ensure_ascii=False)


def spans_for(text: str, findings: Iterable[Finding]) -> dict[str, JsonSpan]:
    """Text spans of the findings' pointers (nearest existing ancestor for absent members;
    the error position for a syntax finding)."""
    locator = JsonLocator(text)
    spans: dict[str, JsonSpan] = {}
    for f in findings:
        if f.rule in SYNTAX_RULES:
            if f.line is not None:
                pos = offset_of_line_column(text, f.line, f.column or 1)
                # Mark the token the parser stumbled on (to the end of its line at most).
                line_end = text.find("\n", pos)
                line_end = len(text) if line_end < 0 else line_end
                end = min(max(value_end(text, pos), pos + 1), max(line_end, pos + 1), len(text))
                spans[syntax_key(f)] = JsonSpan(pos, end, exact=False)
            continue
        if f.pointer in spans:
            continue
        span = locator.locate(f.pointer, nearest=True)
        if span is not None:
            spans[f.pointer] = span
    return spans


def syntax_key(finding: Finding) -> str:
    """The key of a syntax finding in :attr:`Analysis.spans` (pointers never contain '#')."""
    return f"#syntax:{finding.line}:{finding.column}"


def analyse(
    text: str, validator: Validator, generation: int = 0, *, build_draft: bool = True
) -> Analysis:
    """Validate ``text`` and locate its findings; never raises."""
    report = validator.validate_text(text)
    syntax = next((f for f in report.findings if f.rule in SYNTAX_RULES), None)
    if syntax is not None:
        return Analysis(generation, text, None, None, (syntax,), syntax, spans_for(text, (syntax,)))
    draft = EventDraft.from_payload(report.payload) if build_draft else None
    return Analysis(
        generation,
        text,
        report.payload,
        draft,
        report.findings,
        None,
        spans_for(text, report.findings),
    )


def draft_only(text: str, generation: int = 0) -> Analysis | None:
    """The draft of ``text`` without validating it (no findings yet), or None when the text
    does not parse: a quick first look, the full :func:`analyse` follows."""
    parsed = parse_json_text(text)
    if not parsed.ok:
        return None
    draft = EventDraft.from_payload(parsed.value)
    return Analysis(generation, text, parsed.value, draft, (), None, {})


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
