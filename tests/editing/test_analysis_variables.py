"""The composer's check of a text with variables (no Qt): the resolved event is validated, the
findings sit on the template, unknown variables are errors placed on their string, the parse
is the template's, and previews keep their values from one check to the next."""

from __future__ import annotations

import json

from composer.domain.rule_ids import VARIABLE_UNKNOWN
from composer.domain.validator import Validator
from composer.domain.variables import Scope
from composer.editing.analysis import analyse

TEMPLATE = json.dumps(
    {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"$email": "{{$randomEmail}}"},
                "metric": {"name": "{{metric}}"},
                "properties": {"{{key}}": "{{$uuid}}"},
                "unique_id": "{{$uuid}}",
            },
        }
    },
    indent=2,
)


def test_a_template_is_checked_as_resolved_and_its_findings_sit_on_the_template() -> None:
    validator = Validator("2023-01-24")
    scope = Scope(environment={"metric": "x" * 130, "key": "Order"}, environment_name="qa")
    result = analyse(TEMPLATE, validator, scope=scope, preview_seed=1)
    assert result.syntax is None
    # the parse is the template's: the form shows what the user wrote
    assert result.payload["data"]["attributes"]["metric"]["name"] == "{{metric}}"
    # the 130-character metric name only exists once resolved
    ptr = "/data/attributes/metric/name"
    assert any(f.pointer == ptr and f.is_error for f in result.findings)
    span = result.spans[ptr]
    assert TEMPLATE[span.value_start : span.value_end] == '"{{metric}}"'
    # the email only passes the email rule once resolved
    assert not any("$email" in f.pointer for f in result.findings)
    assert result.resolution is not None
    assert result.resolution.strings["/data/attributes/profile/$email"].endswith("@example.com")


def test_unknown_variables_are_errors_placed_on_their_string() -> None:
    result = analyse(TEMPLATE, Validator("2023-01-24"), scope=Scope(environment={"key": "k"}))
    unknown = [f for f in result.findings if f.rule == VARIABLE_UNKNOWN]
    assert [f.pointer for f in unknown] == ["/data/attributes/metric/name"]
    span = result.spans[unknown[0].pointer]
    assert TEMPLATE[span.value_start : span.value_end] == '"{{metric}}"'


def test_preview_values_stay_put_for_one_seed() -> None:
    scope = Scope(environment={"metric": "M", "key": "k"})
    first = analyse(TEMPLATE, Validator("2023-01-24"), scope=scope, preview_seed=5)
    again = analyse(TEMPLATE, Validator("2023-01-24"), scope=scope, preview_seed=5)
    assert first.resolution is not None and again.resolution is not None
    assert first.resolution.strings == again.resolution.strings


def test_a_text_that_does_not_parse_reports_its_syntax_error_as_written() -> None:
    broken = TEMPLATE[:-2]
    result = analyse(broken, Validator("2023-01-24"), scope=Scope())
    assert result.syntax is not None and result.resolution is None
    assert result.findings == (result.syntax,)
