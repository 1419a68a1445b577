"""The members the Form has no field for are named (they are sent all the same)."""

from __future__ import annotations

from composer.domain.convert import convert
from composer.domain.draft import sample_event
from composer.editing.revision_shapes import form_shape
from composer.editing.unshown import unshown_members


def test_an_event_the_form_shows_whole_has_nothing_unshown() -> None:
    flat = sample_event()
    assert unshown_members(form_shape("2023-01-24"), flat) == []
    later = convert(flat, "2026-07-15", "2023-01-24").body
    assert unshown_members(form_shape("2026-07-15"), later) == []


def test_members_without_a_field_are_named_in_order() -> None:
    later = convert(sample_event(), "2026-07-15", "2023-01-24").body
    profile = later["data"]["attributes"]["profile"]["data"]
    profile["id"] = "01HX"
    profile["attributes"]["location"] = {"city": "Boston", "planet": "Mars"}
    later["data"]["attributes"]["metric"]["data"]["attributes"]["integration"] = {"a": 1}
    later["data"]["attributes"]["extra"] = 1
    later["data"]["id"] = "e1"
    assert unshown_members(form_shape("2026-07-15"), later) == [
        "/data/attributes/profile/data/attributes/location/planet",
        "/data/attributes/profile/data/id",
        "/data/attributes/metric/data/attributes/integration",
        "/data/attributes/extra",
        "/data/id",
    ]
    flat = sample_event()
    flat["data"]["attributes"]["metric"]["id"] = "M1"
    flat["data"]["attributes"]["profile"]["$id"] = "P1"  # a custom profile property: shown
    assert unshown_members(form_shape("2023-01-24"), flat) == ["/data/attributes/metric/id"]
