"""What the Form shows beside its fields (Qt-free): findings by field and inside the property
trees, and the resolved value under a field that holds variables."""

from __future__ import annotations

from composer.domain.findings import Finding, Severity
from composer.domain.rule_ids import DUPLICATE_KEY
from composer.domain.variables import Scope, resolve
from composer.editing.field_findings import field_hint, finding_text, place_findings
from composer.editing.fields import event_shape_2023_01_24

SHAPE = event_shape_2023_01_24()


def _finding(pointer: str, severity: Severity, message: str, source: str = "validator") -> Finding:
    return Finding(pointer, severity, "rule", message, source=source)


def test_a_field_shows_its_first_finding_unless_a_later_one_is_an_error() -> None:
    placed = place_findings(
        SHAPE,
        [
            _finding("/data/attributes/value", Severity.WARNING, "odd value"),
            _finding("/data/attributes/value", Severity.ERROR, "not a number"),
            _finding("/data/attributes/value", Severity.ERROR, "second error"),
            _finding("/data/attributes/metric/name", Severity.WARNING, "short name"),
        ],
    )
    assert placed.per_field["value"].message == "not a number"
    assert placed.per_field["metric_name"].message == "short name"
    assert "unique_id" not in placed.per_field


def test_a_finding_inside_the_properties_is_placed_on_its_path_in_the_tree() -> None:
    placed = place_findings(
        SHAPE,
        [
            _finding("/data/attributes/properties/items/2/sku", Severity.ERROR, "bad sku"),
            _finding("/data/attributes/properties/items/2/sku", Severity.WARNING, "later"),
        ],
    )
    assert placed.in_trees["properties"] == {("items", 2, "sku"): (Severity.ERROR, "bad sku")}
    assert placed.in_trees["profile_properties"] == {}
    assert placed.per_field["properties"].message == "bad sku"


def test_a_finding_from_klaviyo_says_so() -> None:
    server = _finding("/data/attributes/time", Severity.ERROR, "too old", source="server")
    assert finding_text(server) == "too old (reported by Klaviyo)"
    assert finding_text(_finding("/data/attributes/time", Severity.ERROR, "x")) == "x"


def test_a_field_with_a_variable_shows_its_resolved_value_and_where_it_came_from() -> None:
    text = (
        '{"data": {"attributes": {"metric": {"name": "Order {{shop}}"}, '
        '"unique_id": "{{missing}}", "properties": {}}}}'
    )
    resolution = resolve(text, Scope(environment={"shop": "Berlin"}), stable_seed=1)
    hint = field_hint(SHAPE, "metric_name", resolution, "staging")
    assert hint is not None and hint.text == "→ Order Berlin"
    assert "staging" in hint.sources
    assert field_hint(SHAPE, "unique_id", resolution, "staging") is None  # unknown: no hint
    assert field_hint(SHAPE, "value", resolution, "staging") is None  # no variable


def test_a_repeated_member_says_the_field_shows_the_one_klaviyo_keeps() -> None:
    """The Form shows the last of two members of one name: its marker said "ignores this
    one" of the member that is sent."""
    repeated = Finding(
        "/data/attributes/properties/Price",
        Severity.WARNING,
        DUPLICATE_KEY,
        "properties.Price is given more than once in the same object; Klaviyo keeps the last "
        'one and ignores this one: remove or rename the extra "Price"',
        line=19,
        column=9,
    )
    placed = place_findings(SHAPE, [repeated])
    _severity, words = placed.in_trees["properties"][("Price",)]
    assert "ignores this one" not in words
    assert "kept" in words and "line 19" in words
    assert words == finding_text(repeated)
