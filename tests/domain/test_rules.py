"""Every prose rule of Create Event, on both sides of every limit."""

from __future__ import annotations

import json

import pytest

from tests.domain.helpers import event, rules_of, validator


def props(**kw):  # type: ignore[no-untyped-def]
    return event(properties=kw)


def nested(levels: int) -> dict:  # type: ignore[type-arg]
    """properties whose deepest container is at `levels` (properties itself is level 1)."""
    node: dict = {"leaf": 1}  # type: ignore[type-arg]
    for _ in range(levels - 1):
        node = {"n": node}
    return node


CASES = [
    # (id, body, rule expected or None, severity)
    ("base is valid", event(), None, None),
    ("metric name 127 chars", event(metric={"name": "m" * 127}), None, None),
    ("metric name 128 chars", event(metric={"name": "m" * 128}), "metric-name-length", "error"),
    ("metric name empty", event(metric={"name": " "}), "metric-name-empty", "error"),
    ("300 properties", event(properties={f"p{i}": i for i in range(300)}), None, None),
    (
        "301 properties",
        event(properties={f"p{i}": i for i in range(301)}),
        "properties-count",
        "error",
    ),
    ("string of 100 kB", props(s="x" * 100_000), None, None),
    ("string over 100 kB", props(s="x" * 100_001), "string-size", "error"),
    ("multibyte string over 100 kB", props(s="é" * 50_001), "string-size", "error"),
    ("nested string over 100 kB", props(a=[{"b": "x" * 100_001}]), "string-size", "error"),
    ("array of 4000", props(a=list(range(4000))), None, None),
    ("array of 4001", props(a=list(range(4001))), "array-length", "error"),
    ("nested array of 4001", props(a={"b": list(range(4001))}), "array-length", "error"),
    ("10 levels", event(properties=nested(10)), None, None),
    ("11 levels", event(properties=nested(11)), "nesting-depth", "error"),
    (
        "arrays count as levels",
        event(properties={"a": [[[[[[[[[["x"]]]]]]]]]]}),
        "nesting-depth",
        "error",
    ),
    (
        "properties over 5 MB",
        props(**{f"s{i}": "x" * 99_990 for i in range(51)}),
        "properties-size",
        "error",
    ),
    ("member name of 100 kB", props(**{"k" * 100_000: 1}), None, None),
    ("member name over 100 kB", props(**{"k" * 100_001: 1}), "string-size", "error"),
    ("nested member name over 100 kB", props(a=[{"é" * 50_001: 1}]), "string-size", "error"),
    ("time without offset (spec example)", event(time="2022-11-08T00:00:00"), None, None),
    ("time with Z", event(time="2022-11-08T00:00:00Z"), None, None),
    ("time with offset", event(time="2022-11-08T00:00:00+05:30"), None, None),
    ("time with fraction", event(time="2022-11-08T00:00:00.250Z"), "time-fraction", "warning"),
    ("time not ISO", event(time="yesterday"), "time-format", "error"),
    ("time impossible date", event(time="2022-02-30T00:00:00"), "time-format", "error"),
    ("time in 2000 start", event(time="2000-01-01T00:00:00Z"), "time-too-early", "error"),
    ("time just after 2000 start", event(time="2000-01-01T00:00:01Z"), None, None),
    ("time exactly a year ahead", event(time="2027-11-26T12:00:00Z"), None, None),
    ("time over a year ahead", event(time="2027-11-26T12:00:01Z"), "time-too-late", "error"),
    ("no identifier", event(profile={"$first_name": "Ann"}), "profile-identifier", "error"),
    ("empty email is no identifier", event(profile={"$email": ""}), "profile-identifier", "error"),
    ("phone only", event(profile={"$phone_number": "+15005550006"}), None, None),
    ("legacy $id only", event(profile={"$id": "42"}), "profile-identifier", "warning"),
    ("phone not E.164", event(profile={"$phone_number": "5005550006"}), "phone-e164", "warning"),
    (
        "phone with spaces",
        event(profile={"$phone_number": "+1 500 555 0006"}),
        "phone-e164",
        "warning",
    ),
    (
        "phone garbage",
        event(profile={"$email": "a@example.com", "$phone_number": "call me"}),
        "phone-e164",
        "warning",
    ),
    ("malformed email", event(profile={"$email": "ann@"}), "email-format", "warning"),
    ("email not a string", event(profile={"$email": 5}), "profile-field-type", "error"),
    (
        "known consent",
        event(profile={"$email": "a@example.com", "$consent": ["sms", "email"]}),
        None,
        None,
    ),
    (
        "unknown consent",
        event(profile={"$email": "a@example.com", "$consent": ["fax"]}),
        "consent-channel",
        "warning",
    ),
    ("missing unique_id", event(unique_id=...), "unique-id-missing", "warning"),
    ("unknown attribute", event(valeu=1), "unknown-member", "warning"),
    ("value as string", event(value="9.99"), "schema-type", "error"),
    ("missing metric", event(metric=...), "schema-required", "error"),
    ("missing properties", event(properties=...), "schema-required", "error"),
    (
        "wrong type",
        {"data": {"type": "events", "attributes": event()["data"]["attributes"]}},
        "schema-enum",
        "error",
    ),
]


# Klaviyo's "Acceptable date and timestamp formats" (Create Event: ISO 8601,
# YYYY-MM-DDTHH:MM:SS.mmmmmm; missing hour, minute or second default to 0) and "Datetimes"
# (RFC 3339, upper-case letters, e.g. 2023-08-15 12:30:00Z) list these, and nothing else.
ACCEPTED_TIMES = [
    "2022-11-08",
    "2022-11-08T13:34",
    "2022-11-08T13:34:08",
    "2022-11-08 13:34:08",
    "2022-11-08 12:30:00Z",
    "2022-11-08T13:34:08Z",
    "2022-11-08T13:34:08+03:00",
    "2022-11-08T13:34:08-04:00",
    "2022-11-08T13:34Z",
]
REFUSED_TIMES = [
    " 2022-11-08T13:34:08",
    "2022-11-08T13:34:08 ",
    "2022-11-08T13:34:08\n",
    "\u3000" + "2022-11-08T13:34:08",
    "２０２２-11-08T13:34:08",  # full-width digits
    "٢٠٢٢-11-08T13:34:08",  # Arabic-Indic digits
    "2022-11-08T13:34:0８",
    "2022-11-08T13:34:08+0３:00",
    "2022-11-08t13:34:08",
    "2022-11-08T13:34:08z",
    "2022-11-08T13:34:08+0300",
    "2022-11-08T13:34:08+03",
    "2022-11-08Z",
    "2022-11-08T13",
    "2022-11-08T13:34:08.1234567",
    "2022-11-08T13:34:08.",
    "2022-11-08T13:34:08,5",
    "2022-11-08T24:00:00",
    "2022-11-08T13:34:08+24:00",
    "2022-11-08T13:34:08+05:60",
    "2022-13-08T13:34:08",
    "11/08/2022 13:34:08",
    "1668000000",
    "20221108T133408Z",
    "",
]


@pytest.mark.parametrize("text", ACCEPTED_TIMES)
def test_documented_time_formats_are_accepted(text: str) -> None:
    assert rules_of(event(time=text)) == {}


@pytest.mark.parametrize("text", REFUSED_TIMES)
def test_other_time_spellings_are_refused(text: str) -> None:
    assert rules_of(event(time=text)) == {"time-format": "error"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-11-08", "2022-11-08T00:00:00+00:00"),
        ("2022-11-08T13:34", "2022-11-08T13:34:00+00:00"),
        ("2022-11-08 13:34:08+03:00", "2022-11-08T10:34:08+00:00"),
    ],
)
def test_missing_parts_of_the_time_default_to_zero(text: str, expected: str) -> None:
    from composer.domain.rules import parse_event_time

    parsed, problem, _ = parse_event_time(text)
    assert problem is None and parsed is not None
    assert parsed.isoformat() == expected


def test_fractions_up_to_microseconds_warn_that_they_are_truncated() -> None:
    assert rules_of(event(time="2022-11-08T13:34:08.000001")) == {"time-fraction": "warning"}
    assert rules_of(event(time="2022-11-08T13:34:08.7")) == {"time-fraction": "warning"}


def _body_text_of(size: int) -> str:
    """A valid body whose UTF-8 text is exactly ``size`` bytes (padded with spaces, which JSON
    allows after the value and which count in the body as sent)."""
    text = json.dumps(props(**{f"s{i}": "x" * 100_000 for i in range(49)}))
    assert len(text) < size
    return text + " " * (size - len(text))


@pytest.mark.parametrize(
    ("size", "expected"), [(5_000_000, {}), (5_000_001, {"body-size": "error"})]
)
def test_the_whole_body_is_limited_to_5_mb(size: int, expected: dict[str, str]) -> None:
    report = validator().validate_text(_body_text_of(size).encode())
    assert {f.rule: f.severity.value for f in report.findings} == expected
    if expected:
        assert "5,000,001 bytes" in report.findings[0].message
        assert "5,000,000" in report.findings[0].message


@pytest.mark.parametrize(
    ("body", "rule", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(body, rule, severity):  # type: ignore[no-untyped-def]
    found = rules_of(body)
    if rule is None:
        assert found == {}, found
    else:
        assert found.get(rule) == severity, found


def test_warnings_do_not_make_an_event_invalid() -> None:
    report = validator().validate_payload(event(unique_id=..., time="2022-11-08T00:00:00.5"))
    assert report.valid
    assert {f.rule for f in report.warnings} == {"unique-id-missing", "time-fraction"}


def test_missing_member_points_at_the_object_that_lacks_it() -> None:
    report = validator().validate_payload(event(metric={}))
    (finding,) = report.errors
    assert finding.pointer == "/data/attributes/metric"
    assert '"name"' in finding.message


def test_messages_name_the_field_and_what_would_be_right() -> None:
    report = validator().validate_payload(event(profile={"$phone_number": "5005550006"}))
    (finding,) = report.findings
    assert finding.pointer == "/data/attributes/profile/$phone_number"
    assert "$phone_number" in finding.message and "+15005550006" in finding.message


def test_pointer_escapes_slash_and_tilde_in_keys() -> None:
    report = validator().validate_payload(props(**{"a/b~c": "x" * 100_001}))
    assert report.errors[0].pointer == "/data/attributes/properties/a~1b~0c"


def test_a_flood_of_long_strings_is_summed_up() -> None:
    body = props(**{f"s{i}": "x" * 100_001 for i in range(30)})
    report = validator().validate_payload(body)
    string_findings = [f for f in report.findings if f.rule == "string-size"]
    assert len(string_findings) == 21
    assert "10 more" in string_findings[-1].message or any(
        "10 more" in f.message for f in string_findings
    )


def test_deep_input_does_not_crash() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    report = validator().validate_payload(event(properties={"deep": deep}))
    assert "nesting-depth" in {f.rule for f in report.findings}


def test_non_object_bodies_get_findings_not_exceptions() -> None:
    for body in ([], "x", 3, None, {"data": []}, {"data": {"attributes": "x"}}):
        report = validator().validate_text(json.dumps(body))
        assert not report.valid


def test_later_revision_slots_in() -> None:
    from composer.domain.validator import Validator

    body = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {},
                "metric": {"data": {"type": "metric", "attributes": {"name": "X"}}},
                "profile": {
                    "data": {"type": "profile", "attributes": {"phone_number": "5005550006"}}
                },
                "unique_id": "u1",
            },
        }
    }
    report = Validator("2024-10-15").validate_payload(body)
    assert report.valid
    assert [f.rule for f in report.findings] == ["phone-e164"]
    assert report.findings[0].pointer == ("/data/attributes/profile/data/attributes/phone_number")
    # the old flat shape is wrong at the new revision
    assert not Validator("2024-10-15").validate_payload(event()).valid


def test_a_limit_just_crossed_shows_the_exact_numbers() -> None:
    report = validator().validate_payload(props(s="x" * 100_001))
    (finding,) = report.errors
    assert "100,001 bytes" in finding.message and "100,000 bytes (100 kB)" in finding.message


def test_later_revisions_hint_the_missing_resource_object() -> None:
    from composer.domain.validator import Validator

    body = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {},
                "metric": {"name": "X"},
                "profile": {"email": "a@example.com"},
            },
        }
    }
    report = Validator("2024-10-15").validate_payload(body)
    messages = {f.pointer: f.message for f in report.errors}
    assert '"type": "metric"' in messages["/data/attributes/metric"]
    assert '"type": "profile"' in messages["/data/attributes/profile"]
    assert '"type": "event"' not in messages["/data/attributes/metric"]


@pytest.mark.parametrize(
    ("revision", "profile_hint", "metric_hint"),
    [
        ("2023-01-24", '"profile": {"$email": "ann@example.com"}', '"metric": {"name": '),
        (
            "2026-07-15",
            '"profile": {"data": {"type": "profile"',
            '"metric": {"data": {"type": "metric"',
        ),
    ],
)
def test_a_missing_profile_or_metric_is_hinted_in_the_revisions_layout(
    revision: str, profile_hint: str, metric_hint: str
) -> None:
    from composer.domain.validator import Validator

    body = {"data": {"type": "event", "attributes": {"properties": {}}}}
    report = Validator(revision).validate_payload(body)
    messages = " | ".join(f.message for f in report.errors)
    assert profile_hint in messages
    assert metric_hint in messages


@pytest.mark.parametrize(
    ("changes", "said", "not_said"),
    [
        (
            {"unique_id": None},
            ["unique_id must be a string, not null:", "remove"],
            ["null null", "None"],
        ),
        ({"unique_id": True}, ["not a boolean true", 'e.g. "true"'], ["True"]),
        ({"unique_id": 12}, ["not a number 12", 'e.g. "12"'], []),
        ({"value": None}, ["value must be a number, not null:", "remove"], ["null null"]),
        (
            {"profile": {"$email": "ann@example.com", "$first_name": None}},
            ["$first_name must be a string, not null:", "remove"],
            ["put it in quotes", "None"],
        ),
        (
            {"profile": {"$email": "ann@example.com", "$first_name": False}},
            ["$first_name must be a string, not a boolean false", 'e.g. "false"'],
            ["False"],
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named_in_json_words(
    changes: dict[str, object], said: list[str], not_said: list[str]
) -> None:
    """A null, true or false is said as JSON says it ("None", "True" and "null null" were
    Python's words), with what would be right."""
    findings = validator().validate_payload(event(**changes)).findings
    (message,) = [f.message for f in findings if said[0] in f.message]
    for words in said:
        assert words in message
    for words in not_said:
        assert words not in message


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("9.99", "write 9.99 without quotes"),
        ("007", "write it as the number 7, without quotes"),
        ("1_000", "write it as the number 1000, without quotes"),
        ("nan", "write a number such as 9.99"),
        ("inf", "write a number such as 9.99"),
        ("1e400", "write a number such as 9.99"),
    ],
)
def test_a_number_in_quotes_is_hinted_in_json_spelling(typed: str, hint: str) -> None:
    """ "write nan without quotes" (or 007, 1_000) led to a text that does not parse."""
    (message,) = [
        f.message
        for f in validator().validate_payload(event(value=typed)).findings
        if f.pointer == "/data/attributes/value"
    ]
    assert message.endswith(hint)
