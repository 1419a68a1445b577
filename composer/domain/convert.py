"""Convert a Create Event body between any two revisions, losing nothing.

Two shapes exist (see :class:`composer.domain.revisions.Shape`): the flat one of 2023-01-24
(``profile: {"$email": ...}``, ``metric: {"name": ...}``) and the relationship one of 2023-07-15
on (``profile: {"data": {"type": "profile", "attributes": {"email": ...}}}``). The converter maps
every member it can to its equivalent and reports each move; a member with no equivalent at the
target revision is kept in the output (the report says where) and reported as such, so that
converting back gives the input again.

The mapping is a bijection: documented flat keys map to their fields, Klaviyo's legacy ``$``-keys
(Track API conventions) to the fields they meant, other flat keys to custom profile properties,
and what the flat shape cannot hold (profile id, meta, unknown members) to one reserved flat key,
``$relationship``. Unchanged values are shared with the input, not copied (a 5 MB properties
object costs nothing to convert).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from composer.domain.findings import escape_token
from composer.domain.revisions import (
    DEFAULT_REVISION,
    FLAT_REVISION,
    Revision,
    Shape,
    get_revision,
)

RESIDUAL_KEY = "$relationship"
"""Flat profile (and metric) key that keeps what the flat shape has no place for."""

# flat key -> (path under profile.data.attributes, documented at 2023-01-24?)
_FLAT_TO_NEW: dict[str, tuple[tuple[str, ...], bool]] = {
    "$email": (("email",), True),
    "$phone_number": (("phone_number",), True),
    "$first_name": (("first_name",), True),
    "$last_name": (("last_name",), True),
    "$image": (("image",), True),
    "$city": (("location", "city"), True),
    "$region": (("location", "region"), True),
    "$country": (("location", "country"), True),
    "$zip": (("location", "zip"), True),
    # Legacy Track API keys: not in the 2023-01-24 spec, but what they meant is clear.
    "$id": (("external_id",), False),
    "$anonymous": (("anonymous_id",), False),
    "$exchange_id": (("_kx",), False),
    "$organization": (("organization",), False),
    "$title": (("title",), False),
    "$locale": (("locale",), False),
    "$address1": (("location", "address1"), False),
    "$address2": (("location", "address2"), False),
    "$latitude": (("location", "latitude"), False),
    "$longitude": (("location", "longitude"), False),
    "$timezone": (("location", "timezone"), False),
    "$ip": (("location", "ip"), False),
}
_NEW_TO_FLAT: dict[tuple[str, ...], str] = {path: key for key, (path, _) in _FLAT_TO_NEW.items()}
_CONSENT = "$consent"
_META = "meta"
_MEMBERS = "members"
"""Residual key for members of ``profile.data`` (or ``metric.data``) whose names are the
residual's own keys (a data member named ``location`` is not the profile's location)."""
_RESIDUAL_OWN = frozenset(
    {
        "id",
        "type",
        "attributes",
        "location",
        "properties",
        _META,
        "profile",
        "data",
        "attributes_value",
        _MEMBERS,
    }
)
_RESIDUAL_OBJECTS = ("attributes", "location", "properties", "profile", _MEMBERS)
"""Residual members that are always objects (a residual with one of them otherwise was not
written by the converter: it is a custom property like any other)."""


def _clashes(name: str, value: Any) -> bool:
    """Whether a custom profile property cannot stay a member of the flat profile: its name
    is a flat field's, or it is a ``data`` that would make the body read as the later layout."""
    return name in _FLAT_TO_NEW or (name == "data" and _resource_like(value))


def _is_residual(value: Any, flat: dict[str, Any]) -> bool:
    """Whether ``value``, the ``$relationship`` of the flat profile ``flat``, is a residual the
    converter could have written going down, and not a user's custom property of that name:
    a non-empty object whose object members are non-empty objects, holding only what has no
    flat key, and nothing that the other members of ``flat`` would take the place of."""
    if not isinstance(value, dict) or not value:
        return False
    if not all(isinstance(value[k], dict) and value[k] for k in _RESIDUAL_OBJECTS if k in value):
        return False
    keys = value.keys()
    others = [k for k in flat if k != RESIDUAL_KEY]
    if "data" in value.get("profile", {}):  # what was beside data cannot be data
        return False
    if "data" in keys:  # profile.data was no object: only what was beside it, and no field
        return keys <= {"data", "profile"} and not others and not isinstance(value["data"], dict)
    if "attributes_value" in keys:  # attributes was no object: nothing came out of it
        return not isinstance(value["attributes_value"], dict) and not (
            {"attributes", "location", "properties"} & keys or others
        )
    attributes = value.get("attributes", {})
    location = value.get("location", {})
    if any((k,) in _NEW_TO_FLAT for k in attributes) or any(
        ("location", k) in _NEW_TO_FLAT for k in location
    ):
        return False
    kept_properties = value.get("properties", {}).items()
    if not all(_clashes(k, v) or k == RESIDUAL_KEY for k, v in kept_properties):
        return False
    if not all(k in _RESIDUAL_OWN - {"id", "type"} for k in value.get(_MEMBERS, ())):
        return False
    for key in others:
        mapped = _FLAT_TO_NEW.get(key)
        if mapped is None:
            taken = "properties" in attributes
        elif len(mapped[0]) == 1:
            taken = mapped[0][0] in attributes
        else:
            taken = "location" in attributes or mapped[0][1] in location
        if taken:
            return False
    return True


def _is_metric_residual(value: Any, flat: dict[str, Any]) -> bool:
    """The same for the flat metric's ``$relationship`` (see ``_METRIC_OWN``)."""
    if not isinstance(value, dict) or not value:
        return False
    objects = ("outer", _MEMBERS, "named")
    if not all(isinstance(value[k], dict) and value[k] for k in objects if k in value):
        return False
    keys = value.keys()
    others = [k for k in flat if k != RESIDUAL_KEY]
    if not all(k in _METRIC_OWN for k in value.get(_MEMBERS, ())):
        return False
    if "data" in value.get("outer", {}):  # what was beside data cannot be data
        return False
    if "data" in keys:  # metric.data was no object: only what was beside it
        return keys <= {"data", "outer"} and not others and not isinstance(value["data"], dict)
    if "attributes" in keys:
        return not isinstance(value["attributes"], dict) and "named" not in keys and not others
    named = value.get("named", {})
    if not all(k in _MISREAD and (k == RESIDUAL_KEY or k not in flat) for k in named):
        return False
    if keys == {"named"} and set(named) == {RESIDUAL_KEY}:  # kept so only when it looks like one
        return _is_metric_residual(named[RESIDUAL_KEY], flat)
    return True


class EntryKind(StrEnum):
    MOVED = "moved"
    """The member has an equivalent at the target and is there now."""
    NO_EQUIVALENT = "no-equivalent"
    """The target revision has no such member; the value is kept where ``target`` says."""


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One member of the input: where it was, where it is in the output, and why."""

    kind: EntryKind
    source: str
    """JSON pointer into the input body."""
    target: str
    """JSON pointer into the output body."""
    note: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind.value, "from": self.source, "to": self.target}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class ConversionReport:
    """Every member that moved and every one that found no home, as data."""

    from_revision: str
    to_revision: str
    entries: list[ReportEntry] = field(default_factory=list)

    @property
    def moved(self) -> list[ReportEntry]:
        return [e for e in self.entries if e.kind is EntryKind.MOVED]

    @property
    def homeless(self) -> list[ReportEntry]:
        return [e for e in self.entries if e.kind is EntryKind.NO_EQUIVALENT]

    @property
    def complete(self) -> bool:
        """True when every member found a home at the target revision."""
        return not self.homeless

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_revision,
            "to": self.to_revision,
            "complete": self.complete,
            "moved": [e.to_json() for e in self.moved],
            "no_equivalent": [e.to_json() for e in self.homeless],
        }

    def lines(self) -> list[str]:
        """The report for people, one line per entry."""
        out = [f"converted {self.from_revision} -> {self.to_revision}"]
        for e in self.moved:
            out.append(
                f"  moved          {e.source} -> {e.target}" + (f" ({e.note})" if e.note else "")
            )
        for e in self.homeless:
            out.append(f"  no equivalent  {e.source}: {e.note}; kept at {e.target}")
        if self.complete:
            out.append("every member found a home")
        else:
            out.append(f"{len(self.homeless)} member(s) have no equivalent at {self.to_revision}")
        return out


@dataclass(frozen=True)
class Conversion:
    body: Any
    report: ConversionReport


def body_shape(body: Any, ambiguous: Shape = Shape.RELATIONSHIP) -> Shape | None:
    """The shape a body is written in, or None when it is not a Create Event body at all.

    A profile or metric written ``{"data": {...}}`` is the relationship layout when that
    ``data`` is a resource (it has a type, attributes or an id); an empty or bare ``data``
    object could also be a custom profile property named "data" in the flat layout, so such a
    body is ``ambiguous`` (pass the shape of the revision the body is known to be at)."""
    attrs = _get(body, ("data", "attributes"))
    if not isinstance(attrs, dict):
        return None
    undecided = False
    for member in ("profile", "metric"):
        value = attrs.get(member)
        if isinstance(value, dict) and isinstance(value.get("data"), dict):
            if _resource_like(value["data"]):
                return Shape.RELATIONSHIP
            undecided = True
    return ambiguous if undecided else Shape.FLAT


_RESOURCE_MEMBERS = frozenset({"type", "attributes", "id"})
_MISREAD = frozenset({RESIDUAL_KEY, "data"})
"""Flat metric (and profile) member names whose values could be misread (see ``named``)."""


def _resource_like(value: Any) -> bool:
    """A value that, as the flat profile's or metric's ``data``, makes the body read as the
    later layout (see :func:`body_shape`)."""
    return isinstance(value, dict) and bool(_RESOURCE_MEMBERS & value.keys())


def _own_shape(member: Any, body: Shape | None) -> Shape | None:
    """The layout of one profile or metric: a hand-migrated body may have one in each (the
    profile rewritten, the metric still ``{"name": ...}``). A resource under ``data`` is the
    later layout; members but no ``data`` at all, the flat one (the later layout requires
    ``data``); anything else is read as the body is."""
    if not isinstance(member, dict) or not member:
        return body
    if _resource_like(member.get("data")):
        return Shape.RELATIONSHIP
    if "data" not in member:
        return Shape.FLAT
    return body


def guess_revision(body: Any) -> str:
    """The revision a body most likely targets when none is named: the flat layout's revision
    (2023-01-24) for a body whose profile or metric is written in the flat layout, else the
    default revision (the newest): the relationship layout, or nothing that tells."""
    if body_shape(body) is Shape.FLAT:
        attrs = _get(body, ("data", "attributes"))
        if any(isinstance(attrs.get(member), dict) for member in ("profile", "metric")):
            return FLAT_REVISION
    return DEFAULT_REVISION


def convert(body: Any, to: str, from_: str | None = None) -> Conversion:
    """Convert ``body`` to revision ``to``. Never raises on any JSON value: what cannot be
    converted stays where it is and is reported."""
    target = get_revision(to)
    source_name = from_ or guess_revision(body)
    source = get_revision(source_name)
    report = ConversionReport(source_name, target.name)
    attrs = _get(body, ("data", "attributes"))
    if not isinstance(attrs, dict):
        report.entries.append(
            ReportEntry(
                EntryKind.NO_EQUIVALENT,
                "/data/attributes" if isinstance(_get(body, ("data",)), dict) else "",
                "",
                "not a Create Event body (no data.attributes object); left as is",
            )
        )
        return Conversion(body, report)
    # a named revision settles a body that either layout could read
    shape = body_shape(body, source.shape if from_ else Shape.RELATIONSHIP)
    out_attrs: dict[str, Any] = {}
    for key, value in attrs.items():
        if key == "profile":
            out_attrs[key] = _profile(value, _own_shape(value, shape), source, target, report)
        elif key == "metric":
            out_attrs[key] = _metric(value, _own_shape(value, shape), target, report)
        else:
            out_attrs[key] = value
            if key not in target.attribute_members:
                ptr = f"/data/attributes/{escape_token(key)}"
                report.entries.append(
                    ReportEntry(
                        EntryKind.NO_EQUIVALENT,
                        ptr,
                        ptr,
                        f"{key} is not a member of data.attributes at {target.name}",
                    )
                )
    data = dict(body["data"])
    data["attributes"] = out_attrs
    out = dict(body)
    out["data"] = data
    return Conversion(out, report)


# -- profile ----------------------------------------------------------------------------------

_P = "/data/attributes/profile"
_PA = "/data/attributes/profile/data/attributes"


def _profile(
    value: Any, shape: Shape | None, source: Revision, target: Revision, report: ConversionReport
) -> Any:
    if not isinstance(value, dict):
        return value  # the validator says what is wrong; nothing to map
    if shape is Shape.FLAT and target.shape is Shape.FLAT:
        return value
    if shape is Shape.FLAT:
        return _profile_up(value, target, report)
    if target.shape is Shape.FLAT:
        return _profile_down(value, source, target, report)
    return _profile_across(value, source, target, report)


def _homeless(report: ConversionReport, source: str, target: str, note: str) -> None:
    report.entries.append(ReportEntry(EntryKind.NO_EQUIVALENT, source, target, note))


def _moved(report: ConversionReport, source: str, target: str, note: str = "") -> None:
    report.entries.append(ReportEntry(EntryKind.MOVED, source, target, note))


def _path_ptr(base: str, path: tuple[str, ...]) -> str:
    return base + "".join("/" + escape_token(p) for p in path)


def _meta_in_data(source: Revision, data: dict[str, Any]) -> bool:
    """Whether the profile's meta is ``profile.data.meta`` at ``source`` (up to 2023-12-15)
    rather than ``profile.data.attributes.meta``; a flat source says nothing, so the body
    does (the meta is in attributes when attributes has one)."""
    where = source.profile.meta_path
    if where is not None:
        return where[-2] == "data"
    attributes = data.get("attributes")
    return not (isinstance(attributes, dict) and _META in attributes)


def _profile_up(flat: dict[str, Any], target: Revision, report: ConversionReport) -> Any:
    attributes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    raw: Any = flat.get(RESIDUAL_KEY)
    residual: dict[str, Any] = raw if _is_residual(raw, flat) else {}
    for key, value in flat.items():
        src = f"{_P}/{escape_token(key)}"
        if key == RESIDUAL_KEY and residual:
            continue
        mapped = _FLAT_TO_NEW.get(key)
        if mapped is not None:
            path, documented = mapped
            if len(path) == 2:
                attributes.setdefault(path[0], {})[path[1]] = value
            else:
                attributes[path[0]] = value
            _moved(report, src, _path_ptr(_PA, path), "" if documented else "legacy key")
        else:
            custom[key] = value
            dst = f"{_PA}/properties/{escape_token(key)}"
            if key == _CONSENT:
                _homeless(
                    report,
                    src,
                    dst,
                    f"consent is not set through events at {target.name} (subscribe the "
                    "profile instead), so it stays a custom profile property",
                )
            else:
                _moved(report, src, dst, "custom profile property")
    # a residual holds nothing the flat members took (see _is_residual)
    custom.update(residual.get("properties", {}))
    attributes.update(residual.get("attributes", {}))
    for key, value in residual.get("location", {}).items():
        attributes.setdefault("location", {})[key] = value
    if custom:
        attributes["properties"] = custom
    if residual:
        _moved(report, f"{_P}/{escape_token(RESIDUAL_KEY)}", f"{_P}/data", "restored")
    out: dict[str, Any] = dict(residual.get("profile", {}))
    if "data" in residual:  # a data member that was not an object, kept whole
        out["data"] = residual["data"]
        return out
    data: dict[str, Any] = {"type": residual.get("type", "profile")}
    if "id" in residual:
        data["id"] = residual["id"]
    data["attributes"] = residual.get("attributes_value", attributes)
    for key, value in residual.items():
        if key not in _RESIDUAL_OWN:
            data[key] = value
    data.update(residual.get(_MEMBERS, {}))
    if _META in residual:
        _place_meta(data, residual[_META], target, report)
    _check_fields(data, target, report)
    out["data"] = data
    return out


def _free_name(taken: dict[str, Any], name: str) -> str:
    """``name``, or ``name`` with the first free number after it."""
    n = 1
    candidate = name
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    return candidate


def _place_meta(
    data: dict[str, Any], meta: Any, target: Revision, report: ConversionReport
) -> None:
    """Put the profile's meta where ``target`` has it; where a member of that name is there
    already (an unknown one, kept as it was), the meta goes to the other place, reported."""
    where = target.profile.meta_path
    want_data = where is None or where[-2] == "data"
    attributes = data.get("attributes")
    free_in_data = _META not in data
    free_in_attributes = isinstance(attributes, dict) and _META not in attributes
    if want_data and free_in_data:
        data[_META] = meta
        return
    if not want_data and free_in_attributes:
        assert isinstance(attributes, dict)
        attributes[_META] = meta
        return
    if free_in_data:
        data[_META] = meta
        ptr = f"{_P}/data/meta"
    elif free_in_attributes:
        assert isinstance(attributes, dict)
        attributes[_META] = meta
        ptr = f"{_PA}/meta"
    else:
        name = _free_name(data, _META)
        data[name] = meta
        ptr = f"{_P}/data/{escape_token(name)}"
    _homeless(
        report,
        f"{_P}/{escape_token(RESIDUAL_KEY)}/meta",
        ptr,
        f"the profile's meta cannot go where {target.name} has it: a member of that name is "
        "there already",
    )


def _profile_down(
    rel: dict[str, Any], source: Revision, target: Revision, report: ConversionReport
) -> Any:
    data = rel.get("data")
    flat: dict[str, Any] = {}
    residual: dict[str, Any] = {}
    siblings = {k: v for k, v in rel.items() if k != "data"}
    for key in siblings:  # members beside data: kept whole
        _homeless(
            report,
            f"{_P}/{escape_token(key)}",
            f"{_P}/{escape_token(RESIDUAL_KEY)}/profile/{escape_token(key)}",
            f"the profile's {key} has no place in the flat profile of {target.name}",
        )
    if siblings:
        residual["profile"] = siblings
    if not isinstance(data, dict):
        if "data" in rel:  # null too: what was written is kept
            residual["data"] = data
        return _finish_down(flat, residual, target, report, {"data": f"{_P}/data"})
    attributes = data.get("attributes")
    meta_in_data = _meta_in_data(source, data)
    sources: dict[str, str] = {}
    custom_residual: list[tuple[str, Any]] = []  # a custom property named $relationship
    for key, value in data.items():
        if key == "attributes" or (key == "type" and value == "profile"):
            continue
        src = f"{_P}/data/{escape_token(key)}"
        if key in ("id", "type") or (key == _META and meta_in_data):
            residual[key] = value
            sources[key] = src
        elif key in _RESIDUAL_OWN:  # a member whose name the residual uses for its own
            residual.setdefault(_MEMBERS, {})[key] = value
            _homeless(
                report,
                src,
                f"{_P}/{escape_token(RESIDUAL_KEY)}/{_MEMBERS}/{escape_token(key)}",
                f"the profile's {key} has no place in the flat profile of {target.name}",
            )
        else:
            residual[key] = value
            sources[key] = src
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            src = f"{_PA}/{escape_token(key)}"
            if key == "location" and isinstance(value, dict) and value:
                for lk, lv in value.items():
                    _down_field(
                        ("location", lk),
                        lv,
                        f"{src}/{escape_token(lk)}",
                        flat=flat,
                        residual=residual,
                        target=target,
                        report=report,
                    )
            elif key == "properties" and isinstance(value, dict) and value:
                for pk, pv in value.items():
                    psrc = f"{src}/{escape_token(pk)}"
                    if pk == RESIDUAL_KEY:  # where it goes depends on the rest
                        custom_residual.append((psrc, pv))
                    elif _clashes(pk, pv):
                        residual.setdefault("properties", {})[pk] = pv
                        _homeless(
                            report,
                            psrc,
                            f"{_P}/{escape_token(RESIDUAL_KEY)}/properties/{escape_token(pk)}",
                            f"a custom property named {pk} clashes with the field {pk} at "
                            f"{target.name}"
                            if pk in _FLAT_TO_NEW
                            else f"a custom property named {pk} holding type, attributes or id "
                            "would make the flat profile read as the later layout",
                        )
                    else:
                        flat[pk] = pv
                        note = "custom profile property"
                        if pk == _CONSENT:
                            note = "consent channels"
                        _moved(report, psrc, f"{_P}/{escape_token(pk)}", note)
            elif key == _META and not meta_in_data:
                residual[_META] = value
                sources[_META] = src
            else:
                _down_field(
                    (key,), value, src, flat=flat, residual=residual, target=target, report=report
                )
    elif "attributes" in data:  # not an object (null too): kept whole
        residual["attributes_value"] = attributes
        sources["attributes_value"] = f"{_P}/data/attributes"
    return _finish_down(flat, residual, target, report, sources, custom_residual=custom_residual)


def _down_field(
    path: tuple[str, ...],
    value: Any,
    src: str,
    *,
    flat: dict[str, Any],
    residual: dict[str, Any],
    target: Revision,
    report: ConversionReport,
) -> None:
    key = _NEW_TO_FLAT.get(path)
    if key is not None and key not in flat:
        flat[key] = value
        dst = f"{_P}/{escape_token(key)}"
        if _FLAT_TO_NEW[key][1]:
            _moved(report, src, dst)
        else:
            _homeless(
                report,
                src,
                dst,
                f"{'.'.join(path)} has no field at {target.name}; kept as the legacy key "
                f"{key}, which Klaviyo may store as a custom property",
            )
        return
    bucket = residual.setdefault("location" if len(path) == 2 else "attributes", {})
    bucket[path[-1]] = value
    _homeless(
        report,
        src,
        f"{_P}/{escape_token(RESIDUAL_KEY)}/{'location' if len(path) == 2 else 'attributes'}"
        f"/{escape_token(path[-1])}",
        f"{'.'.join(path)} has no field at {target.name}",
    )


def _finish_down(
    flat: dict[str, Any],
    residual: dict[str, Any],
    target: Revision,
    report: ConversionReport,
    sources: dict[str, str],
    *,
    custom_residual: list[tuple[str, Any]] | None = None,
) -> dict[str, Any]:
    here = f"{_P}/{escape_token(RESIDUAL_KEY)}"
    for src, value in custom_residual or ():
        if residual or _is_residual(value, flat):  # it would be read as a residual: inside
            residual.setdefault("properties", {})[RESIDUAL_KEY] = value
            _homeless(
                report,
                src,
                f"{here}/properties/{escape_token(RESIDUAL_KEY)}",
                f"a custom property named {RESIDUAL_KEY} clashes with the key that keeps what "
                f"the flat profile of {target.name} has no place for",
            )
        else:
            flat[RESIDUAL_KEY] = value
            _moved(report, src, here, "custom profile property")
    if residual:
        for key in residual:
            if key in ("location", "attributes", "properties", "profile", _MEMBERS):
                continue  # reported member by member
            src = sources.get(key, f"{_P}/{escape_token(key)}")
            _homeless(
                report,
                src,
                f"{here}/{escape_token(key)}",
                f"the profile's {key} has no place in the flat profile of {target.name}",
            )
        flat[RESIDUAL_KEY] = residual
    return flat


def _profile_across(
    rel: dict[str, Any], source: Revision, target: Revision, report: ConversionReport
) -> Any:
    data = rel.get("data")
    if not isinstance(data, dict):
        return rel
    out_data = dict(data)
    attributes = data.get("attributes")
    from_data = _meta_in_data(source, data)
    to_data = _meta_in_data(target, data)
    has_meta = _META in data if from_data else isinstance(attributes, dict) and _META in attributes
    if has_meta and from_data != to_data:
        src = f"{_P}/data/meta" if from_data else f"{_PA}/meta"
        dst = f"{_PA}/meta" if from_data else f"{_P}/data/meta"
        if from_data and isinstance(attributes, dict) and _META not in attributes:
            out_attrs = dict(attributes)
            out_attrs[_META] = out_data.pop(_META)
            out_data["attributes"] = out_attrs
            _moved(report, src, dst)
        elif not from_data and _META not in data:
            assert isinstance(attributes, dict)
            out_attrs = dict(attributes)
            out_data[_META] = out_attrs.pop(_META)
            out_data["attributes"] = out_attrs
            _moved(report, src, dst)
        else:  # the target's place is taken (or attributes is no object): it stays
            _homeless(
                report,
                src,
                src,
                f"the profile's meta cannot go where {target.name} has it: a member of that "
                "name is there already",
            )
    out = dict(rel)
    out["data"] = out_data
    _check_fields(out_data, target, report)
    return out


def _check_fields(data: dict[str, Any], target: Revision, report: ConversionReport) -> None:
    """Report (and keep in place) profile members the target revision does not have."""
    shape = target.profile
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        return
    for key, value in attributes.items():
        ptr = f"{_PA}/{escape_token(key)}"
        if key not in shape.fields:
            _homeless(report, ptr, ptr, f"profile {key} is not a field at {target.name}")
        elif key == "location" and isinstance(value, dict):
            for lk in value:
                if lk not in shape.location_fields:
                    lp = f"{ptr}/{escape_token(lk)}"
                    _homeless(report, lp, lp, f"location.{lk} is not a field at {target.name}")
    in_data = _meta_in_data(target, data)
    meta = data.get(_META) if in_data else attributes.get(_META)
    if isinstance(meta, dict):
        base = f"{_P}/data/meta" if in_data else f"{_PA}/meta"
        for mk in meta:
            if mk not in shape.meta_fields:
                mp = f"{base}/{escape_token(mk)}"
                _homeless(report, mp, mp, f"meta.{mk} is not a member at {target.name}")


# -- metric -----------------------------------------------------------------------------------

_M = "/data/attributes/metric"
_MA = "/data/attributes/metric/data/attributes"


_METRIC_OWN = frozenset({"outer", "attributes", "data", _MEMBERS, "named"})
"""The metric residual's own keys: members beside ``data`` (``outer``), a non-object
``attributes`` or ``data``, data members named like these (``members``), and attributes
that would be misread in the flat metric (``named``): one named ``$relationship``, or ``data``
holding what looks like a resource (the flat metric would read as the later layout)."""


def _metric(value: Any, shape: Shape | None, target: Revision, report: ConversionReport) -> Any:
    if not isinstance(value, dict) or (shape is Shape.FLAT) == (target.shape is Shape.FLAT):
        return value
    if shape is Shape.FLAT:
        return _metric_up(value, report)
    return _metric_down(value, target, report)


def _metric_up(value: dict[str, Any], report: ConversionReport) -> Any:
    raw: Any = value.get(RESIDUAL_KEY)
    residual: dict[str, Any] = raw if _is_metric_residual(raw, value) else {}
    attributes = {k: v for k, v in value.items() if not (k == RESIDUAL_KEY and residual)}
    for key in attributes:
        _moved(report, f"{_M}/{escape_token(key)}", f"{_MA}/{escape_token(key)}")
    for key, item in residual.get("named", {}).items():
        attributes[key] = item
        _moved(
            report,
            f"{_M}/{escape_token(RESIDUAL_KEY)}/named/{escape_token(key)}",
            f"{_MA}/{escape_token(key)}",
        )
    outer: dict[str, Any] = dict(residual.get("outer", {}))
    if "data" in residual:
        kept = residual["data"]
    else:
        kept = {"type": "metric"}
        kept.update({k: v for k, v in residual.items() if k not in _METRIC_OWN})
        kept.update(residual.get(_MEMBERS, {}))
        kept["attributes"] = residual.get("attributes", attributes)
    return {**outer, "data": kept}


def _metric_down(value: dict[str, Any], target: Revision, report: ConversionReport) -> Any:
    data = value.get("data")
    flat: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    homeless: list[tuple[str, str]] = []  # (from, to under $relationship)
    outer = {k: v for k, v in value.items() if k != "data"}
    if outer:
        rest["outer"] = outer
        homeless.extend((f"{_M}/{escape_token(k)}", f"outer/{escape_token(k)}") for k in outer)
    named: dict[str, Any] = {}  # attributes the flat metric would misread
    if isinstance(data, dict):
        m_attributes = data.get("attributes")
        if isinstance(m_attributes, dict):
            for key, item in m_attributes.items():
                if key == RESIDUAL_KEY or (key == "data" and _resource_like(item)):
                    named[key] = item
                    continue
                flat[key] = item
                _moved(report, f"{_MA}/{escape_token(key)}", f"{_M}/{escape_token(key)}")
        elif "attributes" in data:  # not an object (null too): kept whole
            rest["attributes"] = m_attributes
            homeless.append((f"{_M}/data/attributes", "attributes"))
        for k, v in data.items():
            if k == "attributes" or (k == "type" and v == "metric"):
                continue
            if k in _METRIC_OWN:  # a member whose name the residual uses for its own
                rest.setdefault(_MEMBERS, {})[k] = v
                homeless.append((f"{_M}/data/{escape_token(k)}", f"{_MEMBERS}/{escape_token(k)}"))
            else:
                rest[k] = v
                homeless.append((f"{_M}/data/{escape_token(k)}", escape_token(k)))
    elif "data" in value:  # not an object (null too): kept whole
        rest["data"] = data
        homeless.append((f"{_M}/data", "data"))
    item = named.get(RESIDUAL_KEY)
    if set(named) == {RESIDUAL_KEY} and not rest and not _is_metric_residual(item, flat):
        flat[RESIDUAL_KEY] = item  # alone and unlike a residual: it stays a member of that name
        _moved(report, f"{_MA}/{escape_token(RESIDUAL_KEY)}", f"{_M}/$relationship")
    elif named:
        rest["named"] = named
        homeless.extend((f"{_MA}/{escape_token(k)}", f"named/{escape_token(k)}") for k in named)
    if rest:
        flat[RESIDUAL_KEY] = rest
    for src, under in homeless:
        _homeless(
            report,
            src,
            f"{_M}/{escape_token(RESIDUAL_KEY)}/{under}",
            f"the metric's {src.rsplit('/', 1)[-1]} has no place in the flat metric of "
            f"{target.name}",
        )
    return flat


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def sample_event_in(revision: str = DEFAULT_REVISION) -> Any:
    """The valid sample event a new user starts with, in the layout of ``revision`` (default:
    the default revision, whose layout is the relationship one)."""
    from composer.domain.draft import sample_event

    return convert(sample_event(), revision).body
