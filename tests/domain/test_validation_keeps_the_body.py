"""Validating an event never changes it: the schema's fast path must not fill in the schema's
defaults (2026-04-15 on, ``backfill`` has ``"default": false``), or the sandbox would record,
and a client pack, a body that was never sent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from composer.domain.convert import convert
from composer.domain.revisions import REVISIONS
from composer.domain.validator import Validator

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "resources/examples/placed-order.event.json").read_text()
)


@pytest.mark.parametrize("name", list(REVISIONS))
def test_validation_leaves_the_body_as_it_was(name: str) -> None:
    body = convert(EXAMPLE, name).body
    before = copy.deepcopy(body)
    report = Validator(name).validate_payload(body)
    assert report.valid, report.errors
    assert body == before
    assert "backfill" not in json.dumps(body)
