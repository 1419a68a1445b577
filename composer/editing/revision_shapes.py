"""The Form's field table for each revision: the flat shape up to 2023-06-15 (editor-core's
:func:`event_shape_2023_01_24`) and the profile.data / metric.data shape from 2023-07-15 on,
built from the revision's row in composer.domain.revisions (``_kx``, ``locale``,
``value_currency``, ``backfill`` only where the revision has them)."""

from __future__ import annotations

from functools import cache

from composer.domain.revisions import Revision, Shape, get_revision
from composer.editing.fields import FieldBinding, FieldKind, FormShape, event_shape_2023_01_24

PROFILE_ATTRIBUTES = "/data/attributes/profile/data/attributes"
_METRIC = "/data/attributes/metric/data/attributes"

# The profile's text fields in the order the Form shows them (location members as
# "location.<member>"); a revision shows those it has.
_PROFILE_ORDER = (
    "email",
    "phone_number",
    "first_name",
    "last_name",
    "external_id",
    "anonymous_id",
    "_kx",
    "organization",
    "title",
    "image",
    "locale",
)


def profile_text_keys(rev: Revision) -> tuple[str, ...]:
    """The profile's text field keys at ``rev`` (relationship shape), in Form order."""
    own = set(rev.profile.fields)
    keys = [k for k in _PROFILE_ORDER if k in own]
    keys += [f"location.{m}" for m in rev.profile.location_fields]
    return tuple(keys)


@cache
def form_shape(revision: str) -> FormShape:
    """The Form's fields for ``revision``."""
    rev = get_revision(revision)
    if rev.shape is Shape.FLAT:
        return event_shape_2023_01_24()
    profile = tuple(
        FieldBinding(key, f"{PROFILE_ATTRIBUTES}/{key.replace('.', '/')}", holders=key.count("."))
        for key in profile_text_keys(rev)
    )
    members = set(rev.attribute_members)
    details = [
        FieldBinding("properties", "/data/attributes/properties", FieldKind.MEMBERS),
        FieldBinding("time", "/data/attributes/time", FieldKind.TIME),
        FieldBinding("value", "/data/attributes/value", FieldKind.NUMBER),
    ]
    if "value_currency" in members:
        details.append(FieldBinding("value_currency", "/data/attributes/value_currency"))
    if "backfill" in members:
        details.append(FieldBinding("backfill", "/data/attributes/backfill", FieldKind.FLAG))
    details.append(FieldBinding("unique_id", "/data/attributes/unique_id"))
    return FormShape(
        rev.name,
        (
            *profile,
            FieldBinding(
                "profile_properties", f"{PROFILE_ATTRIBUTES}/properties", FieldKind.MEMBERS
            ),
            FieldBinding("metric_name", f"{_METRIC}/name"),
            FieldBinding("metric_service", f"{_METRIC}/service"),
            *details,
        ),
        anchors={
            "/data/attributes/profile": "email",
            "/data/attributes/profile/data": "email",
            PROFILE_ATTRIBUTES: "email",
            "/data/attributes/metric": "metric_name",
            "/data/attributes/metric/data": "metric_name",
            _METRIC: "metric_name",
        },
    )
