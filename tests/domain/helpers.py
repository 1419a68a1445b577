"""Builders for event bodies used across the domain tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from composer.domain.validator import Validator

FIXED_NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

BASE: dict[str, Any] = {
    "data": {
        "type": "event",
        "attributes": {
            "profile": {"$email": "ann@example.com"},
            "metric": {"name": "Viewed Product"},
            "properties": {"ProductName": "Winnie the Pooh"},
            "value": 9.99,
            "unique_id": "a1b2c3",
        },
    }
}


def event(**changes: Any) -> dict[str, Any]:
    """BASE with data.attributes members replaced (a value of ... deletes the member)."""
    body = copy.deepcopy(BASE)
    attrs = body["data"]["attributes"]
    for key, value in changes.items():
        if value is ...:
            attrs.pop(key, None)
        else:
            attrs[key] = value
    return body


def validator() -> Validator:
    return Validator("2023-01-24", clock=lambda: FIXED_NOW)


def rules_of(body: Any) -> dict[str, str]:
    """rule -> severity of every finding for a body."""
    report = validator().validate_text(json.dumps(body))
    return {f.rule: f.severity.value for f in report.findings}
