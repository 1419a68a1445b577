"""The Create Event contract as code: schemas per revision, the prose rules, the event draft,
and Klaviyo's error bodies, all reported as :class:`Finding` values. Pure Python: no Qt, no
network, no storage."""

# Exports resolve on first use (PEP 562): importing composer.domain.outcome or .findings
# must not load jsonschema, phonenumbers and email-validator (the window paints first).
from __future__ import annotations

from typing import TYPE_CHECKING

from composer.lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_REVISION": "composer.domain.revisions",
    "REVISIONS": "composer.domain.revisions",
    "Finding": "composer.domain.findings",
    "Revision": "composer.domain.revisions",
    "Severity": "composer.domain.findings",
    "ValidationReport": "composer.domain.findings",
    "Validator": "composer.domain.validator",
    "get_revision": "composer.domain.revisions",
    "validate_payload": "composer.domain.validator",
    "validate_text": "composer.domain.validator",
}

if TYPE_CHECKING:
    from composer.domain.findings import Finding, Severity, ValidationReport
    from composer.domain.revisions import DEFAULT_REVISION, REVISIONS, Revision, get_revision
    from composer.domain.validator import Validator, validate_payload, validate_text


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "DEFAULT_REVISION",
    "REVISIONS",
    "Finding",
    "Revision",
    "Severity",
    "ValidationReport",
    "Validator",
    "get_revision",
    "validate_payload",
    "validate_text",
]
