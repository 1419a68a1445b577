"""Variables in event text: each built-in's format and validity, scopes, unknown and malformed
variables, escaping, pointers, and the validator seeing the resolved event."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.domain.environments import Environment
from composer.domain.rule_ids import VARIABLE_MALFORMED, VARIABLE_UNKNOWN
from composer.domain.rules import e164_suggestion, parse_event_time
from composer.domain.validator import Validator
from composer.domain.variables import Scope, find_uses, resolve

BERLIN = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 30, 9, 15, 42, 123456, tzinfo=BERLIN)


def clock() -> datetime:
    return NOW


def one(template: str, scope: Scope | None = None, seed: int = 7) -> str:
    """The resolved value of a one-member object's string."""
    text = json.dumps({"v": template})
    res = resolve(text, scope, clock=clock, rng=random.Random(seed))
    value = json.loads(res.text)["v"]
    assert isinstance(value, str)
    return value


def event_text(profile: dict[str, str], properties: dict[str, object] | None = None) -> str:
    return json.dumps(
        {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": profile,
                    "metric": {"name": "QA"},
                    "properties": properties or {},
                    "unique_id": "{{$uuid}}",
                },
            }
        },
        indent=2,
    )


def validator() -> Validator:
    return Validator("2023-01-24", clock=lambda: NOW.astimezone(UTC))


@pytest.mark.parametrize("seed", range(20))
def test_uuid_is_a_version_4_uuid(seed: int) -> None:
    value = one("{{$uuid}}", seed=seed)
    parsed = uuid.UUID(value)
    assert parsed.version == 4 and str(parsed) == value


def test_timestamp_is_unix_seconds_of_the_clock() -> None:
    assert one("{{$timestamp}}") == str(int(NOW.timestamp()))
    assert re.fullmatch(r"[0-9]{10}", one("{{$timestamp}}"))


@pytest.mark.parametrize(
    ("name", "delta"),
    [
        ("$now", timedelta()),
        ("$now+1d", timedelta(days=1)),
        ("$now-2h", timedelta(hours=-2)),
        ("$now+30m", timedelta(minutes=30)),
        ("$now-45s", timedelta(seconds=-45)),
        ("$now+400d", timedelta(days=400)),
    ],
)
def test_now_is_iso_8601_with_the_offset_and_moves_by_its_offset(
    name: str, delta: timedelta
) -> None:
    value = one("{{" + name + "}}")
    moment = datetime.fromisoformat(value)
    assert moment == NOW.replace(microsecond=0) + delta
    assert value.endswith("+01:00")
    # Klaviyo's (and our validator's) time format reads it to the same instant.
    parsed, problem, fractional = parse_event_time(value)
    assert problem is None and not fractional
    assert parsed == moment.astimezone(UTC)


def test_one_resolution_reads_the_clock_once() -> None:
    ticks = iter([NOW, NOW + timedelta(seconds=5)])
    text = json.dumps({"a": "{{$now}}", "b": "{{$timestamp}}", "c": "{{$now}}"})
    out = json.loads(resolve(text, clock=lambda: next(ticks)).text)
    assert out["a"] == out["c"] == "2026-11-30T09:15:42+01:00"
    assert out["b"] == str(int(NOW.timestamp()))


@pytest.mark.parametrize("seed", range(15))
def test_random_email_passes_the_email_rule_on_the_environment_domain(seed: int) -> None:
    from email_validator import validate_email

    default = one("{{$randomEmail}}", seed=seed)
    assert re.fullmatch(r"qa\+[a-z0-9]{8}@example\.com", default)
    validate_email(default, check_deliverability=False)
    env = Environment("staging", email_domain="qa.shop-test.com")
    mine = one("{{$randomEmail}}", Scope.of(env), seed=seed)
    assert mine.endswith("@qa.shop-test.com") and mine.startswith("qa+")
    validate_email(mine, check_deliverability=False)


@pytest.mark.parametrize("seed", range(15))
def test_random_phone_is_e164_and_passes_the_phone_rule(seed: int) -> None:
    import phonenumbers

    value = one("{{$randomPhone}}", seed=seed)
    assert re.fullmatch(r"\+1[2-9][0-9]{2}55501[0-9]{2}", value)
    assert e164_suggestion(value) == value  # what the phone rule asks for
    assert phonenumbers.is_valid_number(phonenumbers.parse(value))


def test_random_int_is_a_whole_number_from_0_to_1000() -> None:
    values = {int(one("{{$randomInt}}", seed=s)) for s in range(200)}
    assert min(values) >= 0 and max(values) <= 1000 and len(values) > 100


def test_the_validator_finds_nothing_wrong_with_generated_identifiers() -> None:
    template = event_text(
        {"$email": "{{$randomEmail}}", "$phone_number": "{{$randomPhone}}"},
        {"order": "{{$uuid}}", "at": "{{$now-2h}}"},
    )
    validate = validator().validate_text
    assert validate(template).findings  # the template itself has warnings
    for seed in range(5):
        res = resolve(template, clock=clock, rng=random.Random(seed))
        report = validate(res.text)
        assert report.findings == (), report.findings


def test_same_clock_and_rng_give_the_same_text_and_each_use_draws_afresh() -> None:
    text = json.dumps({"a": "{{$uuid}}", "b": "{{$uuid}}", "c": "{{$uuid}} {{$uuid}}"})
    first = resolve(text, clock=clock, rng=random.Random(3)).text
    assert first == resolve(text, clock=clock, rng=random.Random(3)).text
    out = json.loads(first)
    values = [out["a"], out["b"], *out["c"].split()]
    assert len(set(values)) == 4


def test_every_send_resolves_afresh_without_a_seed() -> None:
    text = json.dumps({"id": "{{$uuid}}"})
    assert resolve(text).text != resolve(text).text


def test_stable_seed_keeps_a_preview_value_while_other_fields_change() -> None:
    before = resolve(json.dumps({"a": "{{$uuid}}", "b": "x"}), stable_seed=11)
    after = resolve(json.dumps({"a": "{{$uuid}}", "b": "xy", "c": "{{$uuid}}"}), stable_seed=11)
    assert json.loads(before.text)["a"] == json.loads(after.text)["a"]


def test_scope_precedence_data_over_environment_over_collection() -> None:
    scope = Scope(
        environment={"who": "env", "region": "eu"},
        collection={"who": "coll", "region": "us", "only": "c"},
        data={"who": "row"},
    )
    text = json.dumps({"a": "{{who}}", "b": "{{region}}", "c": "{{only}}"})
    res = resolve(text, scope)
    assert json.loads(res.text) == {"a": "row", "b": "eu", "c": "c"}
    assert [u.source for u in res.uses] == ["data", "environment", "collection"]


def test_numbers_and_booleans_give_their_json_spelling_inside_a_string() -> None:
    scope = Scope(environment={"n": 5, "f": 2.5, "t": True})
    assert one("{{n}}/{{f}}/{{t}}", scope) == "5/2.5/true"


def test_a_string_that_is_exactly_one_variable_stays_a_string() -> None:
    res = resolve('{"value": "{{$randomInt}}", "count": "{{n}}"}', Scope(environment={"n": 3}))
    out = json.loads(res.text)
    assert isinstance(out["value"], str) and isinstance(out["count"], str)
    assert out["count"] == "3"


def test_only_the_variables_bytes_change() -> None:
    template = '{\n  "a" :  "x {{who}} y",\t"b": 10.50, "c": "caf\\u00e9"\n}\n'
    res = resolve(template, Scope(environment={"who": "Ann"}))
    assert res.text == '{\n  "a" :  "x Ann y",\t"b": 10.50, "c": "caf\\u00e9"\n}\n'


@given(st.text(max_size=40))
@settings(max_examples=60, deadline=None)
def test_any_value_is_json_escaped_and_reads_back_exactly(value: str) -> None:
    value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    scope = Scope(environment={"v": value})
    res = resolve('["<{{v}}>", {"{{v}}": 1}]', scope)
    out = json.loads(res.text)
    assert out == [f"<{value}>", {value: 1}]


def test_quotes_backslashes_and_newlines_stay_valid_json() -> None:
    hostile = 'say "hi"\\ \n\t end\u2028 "}, "x": {{y}}'
    res = resolve('{"a": "{{v}}"}', Scope(environment={"v": hostile}))
    assert json.loads(res.text) == {"a": hostile}


def test_values_are_not_resolved_again() -> None:
    res = resolve('{"a": "{{v}}"}', Scope(environment={"v": "{{$uuid}}"}))
    assert json.loads(res.text) == {"a": "{{$uuid}}"}


def test_unknown_variable_is_an_error_at_its_pointer_and_stays_as_written() -> None:
    template = event_text({"$email": "ann@example.com"}, {"items": [{"sku": "A-{{skuu}}"}]})
    scope = Scope(environment={"sku": "1"}, environment_name="staging")
    res = resolve(template, scope)
    assert not res.ok
    (finding,) = res.findings
    assert finding.rule == VARIABLE_UNKNOWN and finding.is_error
    assert finding.pointer == "/data/attributes/properties/items/0/sku"
    assert '"staging"' in finding.message and "{{sku}}" in finding.message  # did you mean
    assert template[finding.meta["start"] : finding.meta["end"]] == "{{skuu}}"
    assert json.loads(res.text)["data"]["attributes"]["properties"]["items"][0]["sku"] == (
        "A-{{skuu}}"
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("$uid", "{{$uuid}}"),
        ("$now+1x", "$now+1d"),
        ("$now+2w", "units s, m, h, d"),
        ("a/b", "not a variable name"),
    ],
)
def test_unknown_builtins_and_bad_names_say_what_would_be_right(name: str, words: str) -> None:
    res = resolve(json.dumps({"v": "{{" + name + "}}"}))
    (finding,) = res.findings
    assert finding.rule == VARIABLE_UNKNOWN and words in finding.message


def test_malformed_variables_warn_and_blank_templates_are_left_alone() -> None:
    text = json.dumps(
        {"a": "{{$uuid}", "b": "{{name", "c": "{{ first_name }}", "d": "{{{x}}}", "e": "{{}}"}
    )
    res = resolve(text, Scope(environment={"x": "X"}))
    assert [(f.rule, f.pointer, f.is_error) for f in res.findings] == [
        (VARIABLE_MALFORMED, "/a", False),
        (VARIABLE_MALFORMED, "/b", False),
    ]
    out = json.loads(res.text)
    assert out == {"a": "{{$uuid}", "b": "{{name", "c": "{{ first_name }}", "d": "{X}", "e": "{{}}"}
    assert res.ok  # warnings do not block


def test_an_escaped_brace_sends_the_braces_literally() -> None:
    res = resolve('{"t": "Hello \\u007b{first_name}}"}')
    assert res.findings == () and res.uses == ()
    assert json.loads(res.text) == {"t": "Hello {{first_name}}"}


def test_variables_in_member_names_and_pointers_back_to_the_template() -> None:
    template = '{"p": {"{{k}}": {"{{k}}-x": {"z": "{{k}}"}}}}'
    res = resolve(template, Scope(environment={"k": "a/b"}))
    assert json.loads(res.text) == {"p": {"a/b": {"a/b-x": {"z": "a/b"}}}}
    assert [(u.use.pointer, u.use.in_key) for u in res.uses] == [
        ("/p/{{k}}", True),
        ("/p/{{k}}/{{k}}-x", True),
        ("/p/{{k}}/{{k}}-x/z", False),
    ]
    assert res.template_pointer("/p/a~1b/a~1b-x/z") == "/p/{{k}}/{{k}}-x/z"
    assert res.template_pointer("/p/a~1b") == "/p/{{k}}"
    assert res.template_pointer("/p/other") == "/p/other"
    assert res.strings == {"/p/{{k}}/{{k}}-x/z": "a/b"}


def test_find_uses_gives_spans_and_pointers_even_in_text_that_does_not_parse() -> None:
    text = '{"a": "{{x}}", "b": [1, "{{y}} {{z}}"], "{{w}}": 2, "bad": '
    uses = find_uses(text)
    assert [(u.name, u.pointer, u.in_key, u.index) for u in uses] == [
        ("x", "/a", False, 0),
        ("y", "/b/1", False, 0),
        ("z", "/b/1", False, 1),
        ("w", "/{{w}}", True, 0),
    ]
    assert all(text[u.start : u.end] == u.text for u in uses)
    # Text that is not JSON is not resolved: its syntax error is reported as written.
    res = resolve(text, Scope(environment={"x": "1"}))
    assert not res.resolved and res.text == text


def test_text_without_variables_is_returned_as_it_is() -> None:
    text = event_text({"$email": "ann@example.com"}).replace("{{$uuid}}", "a1")
    res = resolve(text)
    assert res.text is text and not res.has_variables


def test_the_validator_sees_the_resolved_event() -> None:
    # A metric name that fits as a template but not once resolved (over 128 characters).
    long = "x" * 130
    template = event_text({"$email": "ann@example.com"}).replace('"QA"', '"{{m}}"')
    assert validator().validate_text(template).valid
    res = resolve(template, Scope(environment={"m": long}))
    report = validator().validate_text(res.text)
    assert not report.valid
    assert any(f.pointer == "/data/attributes/metric/name" for f in report.errors)
