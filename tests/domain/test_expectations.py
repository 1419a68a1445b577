"""Expectation files (composer.domain.expectations): every member read, a wrong file refused
with the member named, and each check's verdict with its reason."""

from __future__ import annotations

import pytest

from composer.domain.expectations import (
    Expectation,
    ExpectationError,
    FindingPattern,
    check_findings,
    check_landed,
    check_response,
    check_status,
    check_validator,
    parse_expectation,
)
from composer.domain.findings import Finding, Severity

LONG = Finding("/data/attributes/metric/name", Severity.ERROR, "metric-name-length", "too long")
SERVER = Finding(
    "/data/attributes/metric/name", Severity.ERROR, "server-invalid", "bad", source="server"
)
MISSING = Finding(
    "/data/attributes", Severity.ERROR, "schema-required", "needs metric", member="metric"
)


def test_the_smallest_and_the_fullest_file() -> None:
    assert parse_expectation('{"status": 202}') == Expectation(status=202)
    full = parse_expectation(
        """{"status": 400,
            "findings": [{"rule": "invalid", "pointer": "/data/attributes/metric/name"}],
            "validator": {"valid": false, "findings": [{"rule": "metric-name-length"}]},
            "response": [{"header": "Content-Type", "contains": "json"},
                         {"body": "/errors/0/code", "equals": "invalid"},
                         {"body": "/errors/1", "absent": true},
                         {"header": "X-Nope"}]}"""
    )
    assert full.status == 400 and full.sends_invalid
    assert full.findings == (FindingPattern("invalid", "/data/attributes/metric/name"),)
    assert full.valid is False
    assert [c.describe() for c in full.response] == [
        'header Content-Type contains "json"',
        'body /errors/0/code equals "invalid"',
        "body /errors/1 absent",
        "header X-Nope present",
    ]
    landed = parse_expectation('{"status": 202, "landed": false, "landed_within": 2}')
    assert (landed.landed, landed.landed_within, landed.sends_invalid) == (False, 2.0, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{status: 202}", "is not JSON"),
        ("[202]", "must be a JSON object"),
        ("{}", "would check nothing"),
        ('{"stauts": 202}', "stauts is not an expectation; use status"),
        ('{"status": "202"}', 'not "202"'),
        ('{"status": 99}', "HTTP status"),
        ('{"status": true}', "not true"),
        ('{"status": 202, "findings": [{"rule": "x"}]}', "give a status such as 400"),
        ('{"status": 400, "findings": [{}]}', r"findings\[0\] must be an object with a rule"),
        ('{"status": 400, "findings": [{"pointer": "data"}]}', "starting with /"),
        ('{"status": 400, "findings": [{"rule": "x", "where": "/"}]}', "findings[0].where"),
        ('{"validator": {"valid": "no"}}', "validator.valid must be true or false"),
        ('{"validator": {"ok": true}}', "validator.ok is not an expectation"),
        ('{"status": 400, "landed": true}', "with status 400 nothing can land"),
        ('{"landed": "yes"}', "landed must be true or false"),
        ('{"landed": true, "landed_within": -1}', "landed_within must be seconds"),
        ('{"status": 202, "landed_within": 5}', "goes with landed"),
        ('{"response": {"header": "x"}}', "response must be a list"),
        ('{"response": [{"equals": 1}]}', r"response\[0\] needs one of header"),
        ('{"response": [{"header": "a", "body": "/b"}]}', "needs one of header"),
        ('{"response": [{"body": "/a", "equals": 1, "contains": 1}]}', "not several"),
        ('{"response": [{"body": "/a", "absent": false}]}', "absent must be true"),
        ('{"response": [{"header": "a", "equals": 5}]}', "must be text for a header"),
    ],
)
def test_a_wrong_file_names_the_member(text: str, message: str) -> None:
    import re

    with pytest.raises(
        ExpectationError, match=re.escape(message) if "\\" not in message else message
    ):
        parse_expectation(text)


def test_validator_checks_pass_and_fail_with_reasons() -> None:
    exp = parse_expectation(
        '{"validator": {"valid": false, "findings": [{"rule": "metric-name-length",'
        ' "pointer": "/data/attributes/metric/name"}, {"pointer": "/data/attributes/metric"}]}}'
    )
    results = check_validator(exp, [LONG, MISSING])
    assert [r.passed for r in results] == [True, True, True]  # a missing member's pointer too
    results = check_validator(exp, [])
    assert [r.passed for r in results] == [False, False, False]
    assert results[0].reason == "the validator found it valid"
    assert "not found" in results[1].reason


def test_status_findings_and_landed_checks() -> None:
    exp = parse_expectation(
        '{"status": 400, "findings": [{"rule": "invalid",'
        ' "pointer": "/data/attributes/metric/name"}]}'
    )
    assert check_status(exp, 400, "")[0].passed
    failed = check_status(exp, 202, "")[0]
    assert (failed.check, failed.passed, failed.reason) == (
        "status 400",
        False,
        "the answer was 202",
    )
    assert check_status(exp, None, "no answer: refused")[0].reason == "no answer: refused"
    assert check_findings(exp, [SERVER])[0].passed  # "invalid" is the server's "server-invalid"
    other = check_findings(exp, [MISSING])[0]
    assert not other.passed and "schema-required at /data/attributes/metric" in other.reason
    landed = parse_expectation('{"landed": true}')
    assert check_landed(landed, "landed", "Landed")[0].passed
    assert check_landed(landed, "not_seen", "Not seen: x")[0].reason == "Not seen: x"
    assert check_landed(parse_expectation('{"landed": false}'), "not_seen", "")[0].passed


def test_response_checks_on_headers_and_body() -> None:
    exp = parse_expectation(
        """{"response": [
            {"header": "content-type", "equals": "application/vnd.api+json"},
            {"header": "RateLimit-Limit"},
            {"header": "Retry-After", "absent": true},
            {"body": "/errors/0/code", "equals": "invalid"},
            {"body": "/errors/0/detail", "contains": "metric"},
            {"body": "/errors", "contains": {"code": "invalid"}},
            {"body": "/errors/0/status", "equals": 400.0},
            {"body": "/errors/1", "absent": true},
            {"body": "/errors/01"}
        ]}"""
    )
    headers = [("Content-Type", "application/vnd.api+json"), ("ratelimit-limit", "350")]
    body = b'{"errors": [{"code": "invalid", "detail": "metric name too long", "status": 400}]}'
    results = check_response(exp, headers, body)
    assert [r.passed for r in results] == [True] * 8 + [False]
    assert results[-1].reason == "nothing there"
    results = check_response(exp, [("Retry-After", "5")], b"")
    assert results[0].reason == "no such header in the answer"
    assert results[2].reason == 'it is there: "5"'
    assert results[3].reason == "the answer has no body"
    results = check_response(exp, headers, b"<html>")
    assert results[3].reason == "the answer's body is not JSON"
    true_is_not_one = parse_expectation('{"response": [{"body": "/a", "equals": 1}]}')
    assert not check_response(true_is_not_one, [], b'{"a": true}')[0].passed
