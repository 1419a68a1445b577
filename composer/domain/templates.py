"""Checking an event that holds variables: the validator sees the resolved event, and what it
finds is reported against the template the user wrote (its pointers, its variables)."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from composer.domain.findings import Finding, ValidationReport, sort_findings
from composer.domain.validator import Validator
from composer.domain.variables import Clock, Resolution, Scope, resolve


@dataclass(frozen=True)
class TemplateCheck:
    """One template resolved and checked.

    ``report`` holds the validator's findings on the resolved event (placed at the template's
    pointers) and the variables' own findings, errors first; its ``payload`` is the resolved
    event. ``body`` is the exact resolved text as UTF-8 bytes (what a send sends).
    """

    resolution: Resolution
    report: ValidationReport

    @property
    def body(self) -> bytes:
        return self.resolution.text.encode("utf-8", errors="surrogatepass")

    @property
    def template(self) -> str | None:
        """The template when the event held variables (what the history keeps), else None."""
        return self.resolution.template if self.resolution.uses else None


def check_template(
    text: str,
    validator: Validator,
    scope: Scope | None = None,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    stable_seed: int | None = None,
) -> TemplateCheck:
    """Resolve ``text`` with ``scope`` and validate the result (see
    :func:`composer.domain.variables.resolve` for the arguments). Never raises."""
    resolution = resolve(text, scope, clock=clock, rng=rng, stable_seed=stable_seed)
    report = validator.validate_text(resolution.text)
    if not resolution.has_variables:
        return TemplateCheck(resolution, report)
    findings: list[Finding] = [_at_template(f, resolution) for f in report.findings] + list(
        resolution.findings
    )
    return TemplateCheck(resolution, ValidationReport(sort_findings(findings), report.payload))


def _at_template(finding: Finding, resolution: Resolution) -> Finding:
    ptr = resolution.template_pointer(finding.pointer)
    if ptr == finding.pointer:
        return finding
    return dataclasses.replace(finding, pointer=ptr)
