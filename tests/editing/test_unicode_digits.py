"""Digits that are not ASCII (Arabic-Indic, full-width from an input method, superscripts)
in what people type and in member names: never a traceback, never a different number."""

from __future__ import annotations

import pytest

from composer.domain.findings import Finding, Severity, array_index
from composer.domain.rule_ids import DUPLICATE_KEY
from composer.editing.field_findings import place_findings
from composer.editing.fields import event_shape_2023_01_24, read_number
from composer.editing.locator import JsonLocator
from composer.editing.state import EditState
from composer.editing.values import parse_cell


@pytest.mark.parametrize(
    ("typed", "point", "expected"),
    [
        ("١٢", ".", "12"),  # Arabic-Indic digits are the number they show
        ("١٢٫٥", "٫", "12.5"),  # with the Arabic decimal separator of that locale
        ("１２.５０", ".", "12.50"),  # full-width, as an input method types them
        ("1٢", ".", "12"),
        ("0.٥", ".", "0.5"),
        ("1e٣", ".", "1e3"),
        ("59,٩٠", ".", "59.90"),
        ("²", ".", None),  # a superscript is no digit to type a number with
        ("1²", ".", None),
        ("٣x", ".", None),
    ],
)
def test_a_number_typed_in_other_digits_is_read_or_refused_in_words(
    typed: str, point: str, expected: str | None
) -> None:
    result = read_number(typed, point, "," if point != "," else ".")
    assert result.json_text == expected
    if expected is None:
        assert typed in result.problem and "digits" in result.problem


def test_a_value_cell_of_type_number_takes_other_digits_too() -> None:
    assert parse_cell("٤٢", "number") == ("42", "")
    text, problem = parse_cell("4²", "number")
    assert text is None and "not a number" in problem


@pytest.mark.parametrize("token", ["²", "٢", "２", "01", "-1", "", "1 "])
def test_only_ascii_digits_without_a_leading_zero_index_an_array(token: str) -> None:
    assert array_index(token) is None
    assert array_index("0") == 0 and array_index("12") == 12


def test_a_member_named_with_other_digits_is_a_name_everywhere() -> None:
    text = '{"a": [10, 20, 30], "²": {"²": 1, "²": 2}, "01": 5}'
    state = EditState(text)
    # "٢" is not the index 2, in the state, its tree and the locator alike
    assert state.value_at("/a/٢") == (False, None)
    assert state.span("/a/٢") is None
    assert JsonLocator(text).locate("/a/٢") is None
    assert state.value_at("/a/2") == (True, 30)
    # a finding about such a member (a repeated one here) is placed on it by name
    shape = event_shape_2023_01_24()
    findings = [
        Finding(f"/data/attributes/properties/{name}", Severity.WARNING, DUPLICATE_KEY, "m")
        for name in ("²", "01", "2")
    ]
    placed = place_findings(shape, findings).in_trees["properties"]
    assert set(placed) == {("²",), ("01",), (2,)}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("007", "7"), (".5", "0.5"), ("5.", "5"), ("-.5", "-0.5"), ("-007.50", "-7.50"),
     (",5", "0.5"), ("00", "0"), (".", None), ("-", None), ("0x1", None)],
)  # fmt: skip
def test_a_number_typed_with_zeros_or_a_bare_point_is_that_number(
    typed: str, expected: str | None
) -> None:
    """It went into the JSON as a string, an error whose hint ("write 007 without quotes")
    did not parse either."""
    assert read_number(typed).json_text == expected
