"""The rules of Create Event that live only in the spec's prose: sizes, counts, depth, the time
window, the profile's identifier, and what Klaviyo accepts but may drop or misread."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from itertools import chain
from typing import Any

from composer.domain.findings import Finding, Severity, pointer
from composer.domain.revisions import KNOWN_CONSENT_CHANNELS, Revision
from composer.domain.rule_ids import UNIQUE_ID_MISSING
from composer.domain.schema_rules import described, string_hint

Clock = Callable[[], datetime]

# How many findings of one kind to list before summing up the rest in one more finding.
MAX_PER_RULE = 20

MAX_BODY_BYTES = 5_000_000
"""Klaviyo's limit on a whole request body: "Max payload size 5 MB decompressed" (its
ingestion limits), the same at every revision; MB is read as decimal, like the spec's kB."""

# The event time formats Klaviyo documents for the Create Event API ("Acceptable date and
# timestamp formats", "Datetimes"): ISO 8601 / RFC 3339 with upper-case letters,
# YYYY-MM-DDTHH:MM:SS.mmmmmm; the time of day, the seconds and the fraction may be left out
# (they default to 0); a space may stand for the T; an offset is Z or +HH:MM / -HH:MM.
# ASCII digits only: \d and int() would also take other scripts' digits.
_TIME_RE = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ](?P<h>[0-9]{2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2})(?P<frac>\.[0-9]{1,6})?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
TIME_FORMAT_HINT = (
    "write it like 2022-11-08T00:00:00Z: YYYY-MM-DD, then optionally T and HH:MM[:SS[.ffffff]], "
    "then optionally Z or +HH:MM (without an offset it is read as UTC)"
)


def _error(ptr: str, rule: str, message: str) -> Finding:
    return Finding(ptr, Severity.ERROR, rule, message)


def _warning(ptr: str, rule: str, message: str) -> Finding:
    return Finding(ptr, Severity.WARNING, rule, message)


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    node = payload
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _human_bytes(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g} MB"
    if n >= 1000:
        return f"{n / 1000:.3g} kB"
    return f"{n} bytes"


# --- the whole body -------------------------------------------------------------------------


def body_findings(text_bytes: int | None) -> list[Finding]:
    """The body as sent is over Klaviyo's 5 MB payload limit (it answers 413)."""
    if text_bytes is None or text_bytes <= MAX_BODY_BYTES:
        return []
    return [
        _error(
            "",
            "body-size",
            f"the request body is {text_bytes:,} bytes; Klaviyo accepts at most "
            f"{MAX_BODY_BYTES:,} bytes ({_human_bytes(MAX_BODY_BYTES)}) per request: send less "
            "data in one event",
        )
    ]


# --- metric ---------------------------------------------------------------------------------


def metric_findings(payload: Any, rev: Revision) -> list[Finding]:
    name = _get(payload, rev.metric_name_path)
    if not isinstance(name, str):
        return []
    ptr = pointer(rev.metric_name_path)
    if not name.strip():
        return [
            _error(
                ptr,
                "metric-name-empty",
                'metric.name is empty; name the metric, e.g. "Placed Order"',
            )
        ]
    if len(name) > rev.max_metric_name_chars:
        return [
            _error(
                ptr,
                "metric-name-length",
                f"metric.name is {len(name)} characters long; Klaviyo needs fewer than "
                f"{rev.max_metric_name_chars + 1}: shorten it to "
                f"{rev.max_metric_name_chars} or fewer",
            )
        ]
    return []


# --- properties -----------------------------------------------------------------------------


def properties_findings(payload: Any, rev: Revision, text_bytes: int | None) -> list[Finding]:
    path = ("data", "attributes", "properties")
    props = _get(payload, path)
    if not isinstance(props, dict):
        return []
    base = pointer(path)
    findings: list[Finding] = []
    if len(props) > rev.max_properties:
        findings.append(
            _error(
                base,
                "properties-count",
                f"properties has {len(props)} top-level properties; Klaviyo allows at most "
                f"{rev.max_properties}: move some into $extra or an object",
            )
        )
    # properties is part of the body: when the whole body text is within the limit, so is
    # properties as sent, and the costly re-serialization is skipped.
    if text_bytes is None or text_bytes > rev.max_properties_bytes:
        try:
            size = len(
                json.dumps(props, ensure_ascii=False, separators=(",", ":")).encode(
                    "utf-8", "surrogatepass"
                )
            )
        except RecursionError:  # absurdly deep: the nesting-depth finding says what matters
            size = 0
        if size > rev.max_properties_bytes:
            findings.append(
                _error(
                    base,
                    "properties-size",
                    f"properties is {size:,} bytes serialized; Klaviyo allows at most "
                    f"{rev.max_properties_bytes:,} bytes ({_human_bytes(rev.max_properties_bytes)})"
                    ": send less data in one event",
                )
            )
    findings.extend(_walk_properties(props, base, rev))
    return findings


def _walk_properties(props: dict[str, Any], base: str, rev: Revision) -> list[Finding]:
    """Strings, arrays and depth, in one iterative pass (no recursion limit on deep input).

    This is the hot path for multi-megabyte events: it touches every value once, compares
    types with ``is`` and builds a JSON pointer only for a value that has a finding (each
    container carries a link to its parent instead of a pointer string).
    """
    max_string = rev.max_string_bytes
    char_floor = max_string // 4  # a str of n code points is at most 4n bytes in UTF-8
    max_items = rev.max_array_items
    max_levels = rev.max_nesting_levels
    long_strings: list[tuple[Any, int]] = []
    long_keys: list[tuple[str, str, int]] = []
    objects: list[dict[str, Any]] = []
    long_arrays: list[tuple[Any, int]] = []
    too_deep: tuple[Any, int] | None = None
    # Stack entries: (container, level, parent's link, parent). A container's own link,
    # (parent's link, parent, container), is made only when it is needed: most containers
    # are leaves. properties itself is level 1 and its link is None.
    stack: list[tuple[Any, int, Any, Any]] = [(props, 1, None, None)]
    push = stack.append
    pop = stack.pop
    str_t, dict_t, list_t = str, dict, list
    while stack:
        node, level, parent_link, parent = pop()
        link = None if parent is None else _MISSING_LINK
        if level > max_levels:
            if too_deep is None:
                too_deep = ((parent_link, parent, node) if parent is not None else None, level)
            continue
        if type(node) is dict_t:
            values = node.values()
            objects.append(node)
        else:
            values = node
            if len(node) > max_items:
                long_arrays.append(
                    ((parent_link, parent, node) if parent is not None else None, len(node))
                )
        child_level = level + 1
        for value in values:
            t = type(value)
            if t is str_t:
                if len(value) > char_floor:
                    size = len(value.encode("utf-8", "surrogatepass"))
                    if size > max_string:
                        if link is _MISSING_LINK:
                            link = (parent_link, parent, node)
                        long_strings.append(((link, node, value), size))
            elif t is dict_t or t is list_t:
                if link is _MISSING_LINK:
                    link = (parent_link, parent, node)
                push((value, child_level, link, node))
    # A member name is a string too ("A single string cannot be larger than 100 KB"). One pass
    # in C over every name finds whether any is long; only then is properties searched again.
    if max(map(len, chain.from_iterable(objects)), default=0) > char_floor:
        long_keys = _long_member_names(props, base, char_floor, max_string)
    return _walk_findings(
        base,
        rev,
        long_strings=long_strings,
        long_keys=long_keys,
        long_arrays=long_arrays,
        too_deep=too_deep,
    )


_MISSING_LINK: Any = object()


def _key_of(parent: Any, child: Any) -> str:
    items = parent.items() if isinstance(parent, dict) else enumerate(parent)
    for key, value in items:
        if value is child:
            return str(key)
    return "?"


def _link_pointer(base: str, link: Any) -> str:
    keys: list[str] = []
    while link is not None:
        link, parent, child = link
        keys.append(_key_of(parent, child))
    return base + "".join("/" + _esc(k) for k in reversed(keys))


def _long_member_names(
    props: dict[str, Any], base: str, char_floor: int, max_string: int
) -> list[tuple[str, str, int]]:
    """(pointer of the object, name, bytes) of every member name over ``max_string`` bytes;
    the slow path, taken only when one is known to exist."""
    found: list[tuple[str, str, int]] = []
    stack: list[tuple[Any, str]] = [(props, base)]
    while stack:
        node, ptr = stack.pop()
        if type(node) is dict:
            for key in node:
                if len(key) > char_floor:
                    size = len(key.encode("utf-8", "surrogatepass"))
                    if size > max_string:
                        found.append((ptr, key, size))
        items = node.items() if type(node) is dict else enumerate(node)
        for name, value in items:
            if type(value) is dict or type(value) is list:
                stack.append((value, f"{ptr}/{_esc(name)}"))
    return found


def _walk_findings(
    base: str,
    rev: Revision,
    *,
    long_strings: list[tuple[Any, int]],
    long_keys: list[tuple[str, str, int]],
    long_arrays: list[tuple[Any, int]],
    too_deep: tuple[Any, int] | None,
) -> list[Finding]:
    findings: list[Finding] = []
    limit_words = (
        f"Klaviyo allows at most {rev.max_string_bytes:,} bytes "
        f"({_human_bytes(rev.max_string_bytes)}) per string"
    )
    for link, size in long_strings[:MAX_PER_RULE]:
        ptr = _link_pointer(base, link)
        findings.append(
            _error(
                ptr,
                "string-size",
                f"{_field(ptr)} is a string of {size:,} bytes; Klaviyo allows at most "
                f"{rev.max_string_bytes:,} bytes ({_human_bytes(rev.max_string_bytes)}) per "
                "string: shorten it or host the "
                "content elsewhere and send a URL",
            )
        )
    for owner, key, size in long_keys[: max(0, MAX_PER_RULE - len(long_strings))]:
        findings.append(
            _error(
                f"{owner}/{_esc(key)}",
                "string-size",
                f"a member name in {_field(owner)} is a string of {size:,} bytes (it starts "
                f"{_quoted(key[:30], 30)}); {limit_words}, member names included: shorten it",
            )
        )
    over = len(long_strings) + len(long_keys)
    if over > MAX_PER_RULE:
        more = over - MAX_PER_RULE
        findings.append(_error(base, "string-size", f"and {more} more strings over the limit"))
    for link, count in long_arrays[:MAX_PER_RULE]:
        ptr = _link_pointer(base, link)
        findings.append(
            _error(
                ptr,
                "array-length",
                f"{_field(ptr)} has {count} items; Klaviyo allows at most "
                f"{rev.max_array_items} per array: split it or send fewer",
            )
        )
    if len(long_arrays) > MAX_PER_RULE:
        more = len(long_arrays) - MAX_PER_RULE
        findings.append(_error(base, "array-length", f"and {more} more arrays over the limit"))
    if too_deep is not None:
        link, level = too_deep
        ptr = _link_pointer(base, link)
        findings.append(
            _error(
                ptr,
                "nesting-depth",
                f"properties nests {level} levels deep here; Klaviyo allows at most "
                f"{rev.max_nesting_levels} (properties itself is level 1): flatten the data",
            )
        )
    return findings


def _esc(key: str | int) -> str:
    k = str(key)
    if "~" in k or "/" in k:
        return k.replace("~", "~0").replace("/", "~1")
    return k


def _field(ptr: str, limit: int = 120) -> str:
    """The field a pointer names, cut in the middle when a member name makes it long."""
    from composer.domain.findings import describe_pointer

    name = describe_pointer(ptr)
    if len(name) > limit:
        name = name[: limit // 2] + "…" + name[-limit // 2 :]
    return name


# --- time -----------------------------------------------------------------------------------


def parse_event_time(text: str) -> tuple[datetime | None, str | None, bool]:
    """Parse an event time: (aware UTC datetime, problem, had fractional seconds).

    Accepts exactly the formats of ``_TIME_RE`` (no surrounding whitespace, no lower-case
    ``t``/``z``, ASCII digits only); a time without an offset is read as UTC, as in the spec's
    own example ``2022-11-08T00:00:00``; a date alone is midnight.
    """
    # One event's time is read by the validator and again by whoever records it (the sandbox,
    # a bulk job's thousand events): the recent short ones are kept. The answer is immutable.
    return _parse_cached(text) if len(text) <= 40 else _parse_event_time(text)


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> tuple[datetime | None, str | None, bool]:
    return _parse_event_time(text)


def _parse_event_time(text: str) -> tuple[datetime | None, str | None, bool]:
    m = _TIME_RE.fullmatch(text)
    if not m:
        return None, "is not in one of Klaviyo's ISO 8601 date-time formats", False
    iso = f"{m['date']}T{m['h'] or '00'}:{m['m'] or '00'}:{m['s'] or '00'}"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError as exc:
        return None, f"is not a real date-time ({exc})", False
    tz = m["tz"]
    if tz and tz != "Z":
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if hours > 23 or minutes > 59:
            return None, f"has an impossible UTC offset {tz}", False
        offset = timedelta(hours=hours, minutes=minutes) * (1 if tz[0] == "+" else -1)
        parsed = parsed.replace(tzinfo=timezone(offset)).astimezone(UTC)
    else:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed, None, bool(m["frac"])


def _quoted(value: str, limit: int = 60) -> str:
    """A value as a short JSON string for a message (long ones cut in the middle)."""
    if len(value) > limit:
        value = value[: limit // 2] + "…" + value[-limit // 2 :]
    return json.dumps(value)


def time_findings(payload: Any, rev: Revision, clock: Clock) -> list[Finding]:
    path = ("data", "attributes", "time")
    value = _get(payload, path)
    if not isinstance(value, str):
        return []
    ptr = pointer(path)
    parsed, problem, fractional = parse_event_time(value)
    if parsed is None:
        return [
            _error(
                ptr,
                "time-format",
                f"time {_quoted(value)} {problem}; {TIME_FORMAT_HINT}, or leave time out to "
                "use the time Klaviyo receives the event",
            )
        ]
    findings: list[Finding] = []
    year = rev.min_time.year
    if parsed <= rev.min_time:
        findings.append(
            _error(
                ptr,
                "time-too-early",
                f"time {value} is not after the year {year}; Klaviyo needs a time after "
                f"{rev.min_time:%Y-%m-%d} and at most one year ahead",
            )
        )
    now = clock()
    latest = (
        now.replace(year=now.year + 1)
        if not (now.month == 2 and now.day == 29)
        else (now + timedelta(days=365))
    )
    if parsed > latest:
        findings.append(
            _error(
                ptr,
                "time-too-late",
                f"time {value} is more than one year ahead; Klaviyo accepts at most "
                f"{latest:%Y-%m-%dT%H:%M:%SZ} (one year from now)",
            )
        )
    if fractional:
        findings.append(
            _warning(
                ptr,
                "time-fraction",
                f"time {value} has fractional seconds; Klaviyo truncates the time to the "
                "second and "
                f"records {parsed.replace(microsecond=0):%Y-%m-%dT%H:%M:%SZ}",
            )
        )
    return findings


# --- profile --------------------------------------------------------------------------------


def profile_findings(payload: Any, rev: Revision, *, formats: bool = True) -> list[Finding]:
    """The profile's prose rules; ``formats=False`` skips the email and phone spelling checks
    (warnings only, and the costliest part)."""
    shape = rev.profile
    profile = _get(payload, shape.path)
    if not isinstance(profile, dict):
        return []
    base = pointer(shape.path)
    findings: list[Finding] = []
    email = profile.get(shape.email_key)
    phone = profile.get(shape.phone_key)
    for key in shape.string_fields:
        if key in profile and not isinstance(profile[key], str):
            if rev.types_member((*shape.path, key)):
                continue  # the schema's own check speaks (and knows whether null is taken)
            identifier = key in (shape.email_key, shape.phone_key)
            make = _error if identifier else _warning
            findings.append(
                make(
                    f"{base}/{_esc(key)}",
                    "profile-field-type",
                    f"profile {key} must be a string, not {described(profile[key])}"
                    + (
                        string_hint(profile[key])
                        if not isinstance(profile[key], dict | list)
                        else ""
                    ),
                )
            )
    has_email = isinstance(email, str) and email.strip() != ""
    has_phone = isinstance(phone, str) and phone.strip() != ""
    profile_id = _get(payload, shape.id_path) if shape.id_path else None
    has_id = isinstance(profile_id, str) and profile_id.strip() != ""
    if not (has_email or has_phone or has_id):
        others = [k for k in shape.other_identifier_keys if profile.get(k) not in (None, "")]
        if others:
            findings.append(
                _warning(
                    base,
                    "profile-identifier",
                    f"profile is identified only by {', '.join(others)}; the spec names "
                    f"{shape.email_key} and/or {shape.phone_key} as the identifier: "
                    "add one of them "
                    "so Klaviyo can match the profile",
                )
            )
        else:
            findings.append(
                _error(
                    base,
                    "profile-identifier",
                    f'profile has no identifier; add {shape.email_key} (e.g. "ann@example.com") '
                    f'and/or {shape.phone_key} in E.164 (e.g. "+15005550006")'
                    + (
                        ", or the Klaviyo id of an existing profile as profile.data.id"
                        if shape.id_path
                        else ""
                    ),
                )
            )
    if has_email and formats:
        assert isinstance(email, str)
        findings.extend(_email_findings(email, f"{base}/{_esc(shape.email_key)}", shape.email_key))
    if has_phone and formats:
        assert isinstance(phone, str)
        findings.extend(_phone_findings(phone, f"{base}/{_esc(shape.phone_key)}", shape.phone_key))
    if rev.max_profile_strings_bytes is not None:
        findings.extend(_profile_strings_findings(profile, base, rev.max_profile_strings_bytes))
    if shape.consent_key and shape.consent_key in profile:
        findings.extend(
            _consent_findings(
                profile[shape.consent_key], f"{base}/{_esc(shape.consent_key)}", shape.consent_key
            )
        )
    return findings


def _profile_strings_findings(profile: dict[str, Any], base: str, limit: int) -> list[Finding]:
    """From 2025-01-15: "The maximum allowed sum of profile strings is 100KB" (keys not counted)."""
    total = 0
    stack: list[Any] = [profile]
    while stack:
        node = stack.pop()
        values = node.values() if type(node) is dict else node
        for value in values:
            if type(value) is str:
                total += len(value.encode("utf-8", "surrogatepass"))
            elif type(value) is dict or type(value) is list:
                stack.append(value)
    if total <= limit:
        return []
    return [
        _error(
            base,
            "profile-strings-size",
            f"the profile's strings add up to {total:,} bytes; Klaviyo allows at most "
            f"{limit:,} bytes ({_human_bytes(limit)}) in sum at this revision: move long "
            "values out of the profile",
        )
    ]


def _email_findings(email: str, ptr: str, key: str) -> list[Finding]:
    from email_validator import EmailNotValidError, validate_email  # costly: load on first use

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return [
            _warning(
                ptr,
                "email-format",
                f"profile {key} {json.dumps(email)} does not look like an email address ({exc}); "
                "Klaviyo may not match or create the profile: write it like ann@example.com",
            )
        ]
    return []


def e164_suggestion(phone: str, default_region: str = "US") -> str | None:
    """The E.164 spelling of a phone number, if it can be read (national numbers as US)."""
    import phonenumbers  # costly: load on first use

    try:
        region = None if phone.strip().startswith("+") else default_region
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_findings(phone: str, ptr: str, key: str) -> list[Finding]:
    suggestion = e164_suggestion(phone)
    if suggestion == phone:
        return []
    if suggestion is None:
        hint = 'write it in E.164: "+", country code, number, e.g. "+15005550006"'
    elif phone.strip().startswith("+"):
        hint = f'write it as "{suggestion}" (E.164 has no spaces or punctuation)'
    else:
        hint = (
            f'write it as "{suggestion}" if it is a US number (E.164 starts with "+" and '
            "the country code)"
        )
    return [
        _warning(
            ptr,
            "phone-e164",
            f"profile {key} {json.dumps(phone)} is not in E.164; Klaviyo may accept the event but "
            f"never record it: {hint}",
        )
    ]


def _consent_findings(consent: Any, ptr: str, key: str) -> list[Finding]:
    channels = ", ".join(KNOWN_CONSENT_CHANNELS)
    if not isinstance(consent, list):
        return [
            _warning(
                ptr,
                "consent-channel",
                f'profile {key} must be a list of channels such as ["email", "sms"], not '
                f"{json.dumps(consent)[:40]}",
            )
        ]
    findings = []
    for i, item in enumerate(consent):
        if item not in KNOWN_CONSENT_CHANNELS:
            close = difflib.get_close_matches(str(item), KNOWN_CONSENT_CHANNELS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            findings.append(
                _warning(
                    f"{ptr}/{i}",
                    "consent-channel",
                    f"profile {key} has {json.dumps(item)}, which is not a known consent channel"
                    f"{hint}; Klaviyo knows {channels}",
                )
            )
    return findings


# --- attributes -----------------------------------------------------------------------------


def attributes_findings(payload: Any, rev: Revision) -> list[Finding]:
    attributes = _get(payload, ("data", "attributes"))
    if not isinstance(attributes, dict):
        return []
    base = pointer(("data", "attributes"))
    findings: list[Finding] = []
    for key in attributes:
        if key not in rev.attribute_members:
            close = difflib.get_close_matches(key, rev.attribute_members, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            findings.append(
                _warning(
                    f"{base}/{_esc(key)}",
                    "unknown-member",
                    f"{key} is not a member of data.attributes at revision {rev.name}; Klaviyo "
                    f"ignores or rejects it{hint}",
                )
            )
    unique_id = attributes.get("unique_id")
    if unique_id is None or (isinstance(unique_id, str) and not unique_id.strip()):
        findings.append(
            Finding(
                base if unique_id is None else f"{base}/unique_id",
                Severity.WARNING,
                UNIQUE_ID_MISSING,
                "unique_id is missing; without it Klaviyo records only one event per profile and "
                "metric per second, and a retried send could be recorded twice: add a unique_id "
                "such as a UUID",
                member="unique_id" if unique_id is None else None,
            )
        )
    return findings
