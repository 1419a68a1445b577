"""The Create Event contract as code: schemas per revision, the prose rules, the event draft,
and Klaviyo's error bodies, all reported as :class:`Finding` values. Pure Python: no Qt, no
network, no storage."""

from composer.domain.findings import Finding, Severity, ValidationReport
from composer.domain.revisions import DEFAULT_REVISION, REVISIONS, Revision, get_revision
from composer.domain.validator import Validator, validate_payload, validate_text

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
