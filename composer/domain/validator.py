"""Validate a Create Event body: the published schema plus the rules that live in its prose."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from composer.domain import rules
from composer.domain.findings import Finding, Severity, ValidationReport, sort_findings
from composer.domain.jsontext import parse_json_text
from composer.domain.revisions import DEFAULT_REVISION, Revision, get_revision
from composer.domain.schema_rules import schema_findings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Validator:
    """Validates bodies against one API revision. Never raises on any input.

    ``clock`` returns the current aware time; tests inject a fixed one for the
    "at most one year ahead" rule.
    """

    def __init__(
        self, revision: str | Revision = DEFAULT_REVISION, clock: rules.Clock = utc_now
    ) -> None:
        self.revision = revision if isinstance(revision, Revision) else get_revision(revision)
        self.clock = clock

    def warm_up(self) -> None:
        """Load the libraries and compile the schema now (e.g. on a worker thread at start-up)
        so that the first validation is as fast as the others."""
        self.validate_payload(
            {
                "data": {
                    "type": "event",
                    "attributes": {
                        "profile": {"$email": "a@example.com", "$phone_number": "+15005550006"},
                        "metric": {"name": "M"},
                        "properties": {},
                    },
                }
            }
        )

    def validate_text(self, text: str | bytes) -> ValidationReport:
        """Validate JSON text (or raw bytes): syntax first, then the payload."""
        parsed = parse_json_text(text)
        if parsed.finding is not None:
            return ValidationReport((parsed.finding,), None)
        return self._validate(parsed.value, parsed.size_bytes)

    def validate_payload(
        self,
        payload: Any,
        *,
        text_bytes: int | None = None,
        profile_rules: bool = True,
        formats: bool = True,
    ) -> ValidationReport:
        """Validate an already parsed JSON value.

        ``text_bytes``: the size of the text it was read from (spares re-measuring it).
        ``profile_rules=False`` leaves out the profile's prose rules (the schema still checks
        it): a bulk job checks each group's profile once, not once per event.
        ``formats=False`` leaves out the email and phone spelling checks, which only warn.
        """
        return self._validate(payload, text_bytes, profile_rules=profile_rules, formats=formats)

    def _validate(
        self,
        payload: Any,
        text_bytes: int | None,
        *,
        profile_rules: bool = True,
        formats: bool = True,
    ) -> ValidationReport:
        rev = self.revision
        findings: list[Finding] = []
        try:
            findings.extend(rules.body_findings(text_bytes))
            findings.extend(schema_findings(payload, rev))
            findings.extend(rules.attributes_findings(payload, rev))
            if profile_rules:
                findings.extend(rules.profile_findings(payload, rev, formats=formats))
            findings.extend(rules.metric_findings(payload, rev))
            findings.extend(rules.time_findings(payload, rev, self.clock))
            findings.extend(rules.properties_findings(payload, rev, text_bytes))
        except Exception as exc:  # the validator must never take the app down
            log.exception("validator failed")
            findings.append(
                Finding(
                    "",
                    Severity.ERROR,
                    "validator-internal",
                    f"the validator could not check this body ({type(exc).__name__}); "
                    "please report it with the payload",
                )
            )
        return ValidationReport(sort_findings(findings), payload)


_cache: dict[str, Validator] = {}


def validate_text(
    text: str | bytes, revision: str = DEFAULT_REVISION, clock: rules.Clock | None = None
) -> ValidationReport:
    """Module-level shortcut: validate JSON text at a revision (default: the newest)."""
    return _validator(revision, clock).validate_text(text)


def validate_payload(
    payload: Any, revision: str = DEFAULT_REVISION, clock: rules.Clock | None = None
) -> ValidationReport:
    """Module-level shortcut: validate a parsed body at a revision."""
    return _validator(revision, clock).validate_payload(payload)


def _validator(revision: str, clock: rules.Clock | None) -> Validator:
    if clock is not None:
        return Validator(revision, clock)
    if revision not in _cache:
        _cache[revision] = Validator(revision)
    return _cache[revision]
