"""Form bindings as data, number input, duplicate members and finding placement (no Qt)."""

from __future__ import annotations

import pytest

from composer.domain.findings import Finding, Severity
from composer.domain.rule_ids import DUPLICATE_KEY
from composer.domain.validator import Validator
from composer.editing.analysis import analyse, merge_findings, span_key
from composer.editing.fields import (
    FieldBinding,
    FieldKind,
    FormShape,
    event_shape_2023_01_24,
    read_number,
)
from composer.editing.values import converted_source


@pytest.mark.parametrize(
    ("typed", "point", "expected"),
    [
        ("10.50", ".", "10.50"),  # the spelling is kept
        ("1e3", ".", "1e3"),
        (" 42 ", ".", "42"),
        ("+7", ".", "7"),
        ("59,90", ".", "59.90"),  # a comma before two digits cannot group thousands
        ("59,90", ",", "59.90"),
        ("1,234", ",", "1.234"),  # a decimal comma where the locale writes one
        ("1.234,5", ",", "1234.5"),
        ("1,234", ".", None),  # thousands or decimals? not guessed
        ("1.234", ",", None),  # ... nor where the locale groups thousands with a dot
        ("12.345", ",", None),
        ("1.5", ",", "1.5"),  # a dot before other than three digits groups nothing
        ("0.125", ",", "0.125"),  # nor after a lone 0
        ("0,125", ".", "0.125"),
        ("59,9x", ".", None),
        ("ten", ".", None),
        ("1e999", ".", None),
        ("", ".", None),
    ],
)
def test_typed_numbers(typed: str, point: str, expected: str | None) -> None:
    result = read_number(typed, point, "." if point == "," else ",")
    assert result.json_text == expected
    assert bool(result.problem) == (expected is None)


def test_findings_go_to_their_field_by_pointer_and_member_not_by_words() -> None:
    shape = event_shape_2023_01_24()

    def place(ptr: str, member: str | None = None) -> tuple[str, tuple[str, ...]] | None:
        finding = Finding(ptr, Severity.ERROR, "x", "words do not matter", member=member)
        return shape.field_for(finding)

    assert place("/data/attributes/profile/$email") == ("$email", ())
    assert place("/data/attributes", member="metric") == ("metric_name", ())
    assert place("/data/attributes", member="profile") == ("$email", ())
    assert place("/data/attributes", member="unique_id") == ("unique_id", ())
    assert place("/data/attributes/properties/Items/0/SKU") == (
        "properties",
        ("Items", "0", "SKU"),
    )
    assert place("/data/attributes/profile/Plan") == ("profile_properties", ("Plan",))
    assert place("/data/attributes/profile/$consent/0") is None  # channels: no sub-fields
    assert place("/data/attributes/bogus") is None


def test_another_body_shape_is_a_table() -> None:
    later = FormShape(
        "2024-10-15",
        (
            FieldBinding("$email", "/data/attributes/profile/data/attributes/email"),
            FieldBinding("metric_name", "/data/attributes/metric/data/attributes/name"),
            FieldBinding("properties", "/data/attributes/properties", FieldKind.MEMBERS),
        ),
    )
    finding = Finding("/data/attributes/profile/data/attributes/email", Severity.ERROR, "r", "m")
    assert later.field_for(finding) == ("$email", ())
    assert later.binding("metric_name").pointer.endswith("/name")


def test_duplicate_members_are_warnings_placed_on_the_ignored_one() -> None:
    text = '{"data": {"type": "event", "type": "event", "attributes": {}}}'
    analysis = analyse(text, Validator("2023-01-24"))
    duplicates = [f for f in analysis.findings if f.rule == DUPLICATE_KEY]
    assert [d.pointer for d in duplicates] == ["/data/type"]
    dup = duplicates[0]
    assert dup.severity is Severity.WARNING and "keeps the last one" in dup.message
    span = analysis.spans[span_key(dup)]
    start, end = span.mark_range(text)
    assert text[start:end] == '"type": "event"' and start == text.index('"type"')


def test_a_finding_the_server_confirms_is_listed_once() -> None:
    local = Finding("/a", Severity.ERROR, "r", "a is wrong")
    server = Finding("/a", Severity.ERROR, "server", "A is wrong", source="server")
    server.meta["detail"] = "a is wrong"
    warning = Finding("/b", Severity.WARNING, "r", "b")
    assert merge_findings([warning, local], [server]) == [server, warning]
    assert merge_findings([local], []) == [local]


def test_member_survives_the_history_round_trip() -> None:
    f = Finding("/data/attributes", Severity.ERROR, "schema-required", "m", member="metric")
    assert Finding.from_json(f.to_json()) == f
    assert f.target == "/data/attributes/metric"


@pytest.mark.parametrize(
    ("value", "source", "new_type", "expected"),
    [
        (10.5, "10.50", "string", '"10.50"'),
        (1000.0, "1e3", "string", '"1e3"'),
        ("1e3", '"1e3"', "number", "1e3"),
        ("59,90", '"59,90"', "number", "59.90"),
        (10.5, "10.50", "array", "[10.50]"),
        ("café", '"caf\\u00e9"', "array", '["caf\\u00e9"]'),
        ("", '""', "array", None),  # an empty text becomes an empty list
        ({"a": 1}, '{"a": 1}', "array", None),
        ("ten", '"ten"', "number", None),  # not a number: convert() says 0, after a question
    ],
)
def test_a_type_change_keeps_the_spelling(
    value: object, source: str, new_type: str, expected: str | None
) -> None:
    assert converted_source(value, source, new_type) == expected


def test_a_finding_about_an_object_of_fields_goes_to_its_first_field() -> None:
    """ "location must be an object" had no field: the Form marked nothing and a click on it
    left the Form."""
    from composer.editing.revision_shapes import form_shape

    shape = form_shape("2026-07-15")
    location = "/data/attributes/profile/data/attributes/location"
    finding = Finding(location, Severity.ERROR, "schema-type", "must be an object")
    assert shape.field_for(finding) == ("location.address1", ())
    inside = Finding(location + "/city", Severity.ERROR, "schema-type", "must be a string")
    assert shape.field_for(inside) == ("location.city", ())
    for elsewhere in ("/data/attributes/elsewhere", "/data/attributes", "/data", ""):
        assert shape.field_for(Finding(elsewhere, Severity.ERROR, "r", "m")) is None
