"""Expectations of a collection's request (``NAME.expect.json``): what they say, read with a
clear message for a wrong file, and each check's verdict with its reason. Pure: the runner
(composer.services.runner) sends, reads back, and hands the facts to these checks.

The smallest expectation is ``{"status": 202}``; a request without a file expects that too. A
file without ``status`` checks no status (e.g. only the validator's verdict).
Every member (docs/collections.md has examples)::

    {
      "status": 400,                         the HTTP status (an integer)
      "findings": [                          with a 4xx: errors the server must name
        {"rule": "invalid", "pointer": "/data/attributes/metric/name"}
      ],
      "validator": {                         the validator's own verdict
        "valid": false,
        "findings": [{"rule": "metric-name-length", "pointer": "/data/attributes/metric/name"}]
      },
      "landed": true,                        read back after a 2xx: recorded (false: not seen)
      "landed_within": 30,                   seconds to look (default 30)
      "response": [                          checks on the answer
        {"header": "Content-Type", "contains": "json"},
        {"body": "/errors/0/code", "equals": "invalid"}
      ]
    }

A request whose expected status is a 4xx is sent even when the validator finds errors (that
is the point of such a case); otherwise a request the validator finds invalid is not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from composer.domain.findings import Finding, array_index, split_pointer
from composer.domain.jsontext import loads

DEFAULT_LANDED_WITHIN = 30.0
MAX_LANDED_WITHIN = 600.0

_TOP = ("status", "findings", "validator", "landed", "landed_within", "response")
_FINDING = ("rule", "pointer")
_VALIDATOR = ("valid", "findings")
_CHECK_SUBJECTS = ("header", "body")
_CHECK_OPS = ("equals", "contains", "absent")


class ExpectationError(ValueError):
    """An expectation file that cannot be used; the message names the member and what would
    be right."""


@dataclass(frozen=True, slots=True)
class FindingPattern:
    """A finding that must be there: its rule id, its pointer, or both."""

    rule: str | None = None
    pointer: str | None = None

    def matches(self, finding: Finding) -> bool:
        """True when ``finding`` has this rule (a server's ``invalid`` is also
        ``server-invalid``) and this pointer (the finding's own, or that of the missing
        member it names)."""
        if self.rule is not None and self.rule not in (finding.rule, _bare(finding.rule)):
            return False
        return self.pointer is None or self.pointer in (finding.pointer, finding.target)

    def describe(self) -> str:
        parts = []
        if self.rule is not None:
            parts.append(f"rule {self.rule}")
        if self.pointer is not None:
            parts.append(f"at {self.pointer or '(the whole body)'}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ResponseCheck:
    """One check on the answer: a header or a JSON pointer into the body, and what must hold
    (``present`` when no operator is given)."""

    subject: str
    """``header`` or ``body``."""
    name: str
    """The header's name, or the JSON pointer (``""`` is the whole body)."""
    op: str = "present"
    """``present``, ``absent``, ``equals`` or ``contains``."""
    value: Any = None

    def describe(self) -> str:
        what = f"header {self.name}" if self.subject == "header" else f"body {self.name or '/'}"
        if self.op in ("present", "absent"):
            return f"{what} {self.op}"
        return f"{what} {self.op} {_show(self.value)}"


@dataclass(frozen=True, slots=True)
class Expectation:
    """What must happen when a request is sent (see the module docstring)."""

    status: int | None = 202
    findings: tuple[FindingPattern, ...] = ()
    valid: bool | None = None
    validator_findings: tuple[FindingPattern, ...] = ()
    landed: bool | None = None
    landed_within: float = DEFAULT_LANDED_WITHIN
    response: tuple[ResponseCheck, ...] = ()

    @property
    def sends_invalid(self) -> bool:
        """True when the request is sent even though the validator finds errors."""
        return self.status is not None and 400 <= self.status < 500


DEFAULT_EXPECTATION = Expectation()
"""A request without ``NAME.expect.json`` must be accepted (202)."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict of one check: what was checked and, when it failed, why."""

    check: str
    """What was expected, e.g. ``status 202`` or ``validator: rule x at /y``."""
    passed: bool
    reason: str = ""
    """For a failure: what happened instead."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "passed": self.passed}
        if self.reason:
            out["reason"] = self.reason
        return out


# -- reading ------------------------------------------------------------------------------------


def parse_expectation(text: str) -> Expectation:
    """The expectation in ``text``. Raises ExpectationError naming the member that is wrong."""
    try:
        doc = loads(text)
    except ValueError as exc:
        raise ExpectationError(f"is not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ExpectationError('must be a JSON object such as {"status": 202}')
    _no_unknown(doc, _TOP, "")
    if not doc:
        raise ExpectationError('is empty and would check nothing; give at least {"status": 202}')
    status: int | None = None
    if "status" in doc:
        given = doc["status"]
        if not (_is_int(given) and 100 <= given <= 599):
            raise ExpectationError(
                f"status must be an HTTP status such as 202 or 400, not {_show(given)}"
            )
        status = int(given)
    findings = _patterns(doc.get("findings", []), "findings")
    if findings and not (status is not None and status >= 400):
        raise ExpectationError(
            "findings are the errors of a 4xx answer: give a status such as 400 with them"
        )
    valid: bool | None = None
    validator_findings: tuple[FindingPattern, ...] = ()
    if "validator" in doc:
        validator = doc["validator"]
        if not isinstance(validator, dict):
            raise ExpectationError(
                'validator must be an object such as {"valid": false, "findings": [...]}'
            )
        _no_unknown(validator, _VALIDATOR, "validator.")
        valid = validator.get("valid")
        if valid is not None and not isinstance(valid, bool):
            raise ExpectationError(f"validator.valid must be true or false, not {_show(valid)}")
        validator_findings = _patterns(validator.get("findings", []), "validator.findings")
    landed = doc.get("landed")
    if landed is not None and not isinstance(landed, bool):
        raise ExpectationError(f"landed must be true or false, not {_show(landed)}")
    if landed is not None and status is not None and not 200 <= status < 300:
        raise ExpectationError(
            f"landed is read back after a 2xx; with status {status} nothing can land"
        )
    within = doc.get("landed_within", DEFAULT_LANDED_WITHIN)
    if not _is_number(within) or not 0 <= within <= MAX_LANDED_WITHIN:
        raise ExpectationError(
            f"landed_within must be seconds from 0 to {MAX_LANDED_WITHIN:g}, not {_show(within)}"
        )
    if "landed_within" in doc and landed is None:
        raise ExpectationError("landed_within goes with landed: true or false")
    return Expectation(
        status=status,
        findings=findings,
        valid=valid,
        validator_findings=validator_findings,
        landed=landed,
        landed_within=float(within),
        response=_checks(doc.get("response", [])),
    )


def _patterns(value: Any, where: str) -> tuple[FindingPattern, ...]:
    if not isinstance(value, list):
        raise ExpectationError(
            f'{where} must be a list such as [{{"rule": "...", "pointer": "/..."}}]'
        )
    out = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(item, dict) or not item:
            raise ExpectationError(f"{here} must be an object with a rule, a pointer or both")
        _no_unknown(item, _FINDING, here + ".")
        rule, ptr = item.get("rule"), item.get("pointer")
        if rule is not None and (not isinstance(rule, str) or not rule):
            raise ExpectationError(f"{here}.rule must be a rule id such as metric-name-length")
        if ptr is not None:
            _check_pointer(ptr, f"{here}.pointer")
        out.append(FindingPattern(rule, ptr))
    return tuple(out)


def _checks(value: Any) -> tuple[ResponseCheck, ...]:
    if not isinstance(value, list):
        raise ExpectationError(
            'response must be a list of checks such as [{"header": "Content-Type"}]'
        )
    out = []
    for i, item in enumerate(value):
        here = f"response[{i}]"
        if not isinstance(item, dict):
            raise ExpectationError(f'{here} must be an object such as {{"body": "/errors"}}')
        _no_unknown(item, _CHECK_SUBJECTS + _CHECK_OPS, here + ".")
        subjects = [k for k in _CHECK_SUBJECTS if k in item]
        ops = [k for k in _CHECK_OPS if k in item]
        if len(subjects) != 1:
            raise ExpectationError(
                f"{here} needs one of header (a header's name) or body (a JSON pointer)"
            )
        if len(ops) > 1:
            raise ExpectationError(f"{here} takes one of {', '.join(_CHECK_OPS)}, not several")
        subject = subjects[0]
        name = item[subject]
        if subject == "header" and (not isinstance(name, str) or not name.strip()):
            raise ExpectationError(f"{here}.header must be a header's name")
        if subject == "body":
            _check_pointer(name, f"{here}.body")
        op = ops[0] if ops else "present"
        value_ = item.get(op)
        if op == "absent":
            if value_ is not True:
                raise ExpectationError(f"{here}.absent must be true")
        elif op == "contains" and subject == "header" and not isinstance(value_, str):
            raise ExpectationError(f"{here}.contains must be text for a header")
        elif op == "equals" and subject == "header" and not isinstance(value_, str):
            raise ExpectationError(f"{here}.equals must be text for a header")
        out.append(
            ResponseCheck(subject, name.strip() if subject == "header" else name, op, value_)
        )
    return tuple(out)


def _check_pointer(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise ExpectationError(f"{where} must be a JSON pointer such as /data/attributes")
    try:
        split_pointer(value)
    except ValueError:
        raise ExpectationError(
            f"{where} must be a JSON pointer starting with / (such as /data/attributes), "
            f"not {value!r}"
        ) from None


def _no_unknown(doc: Mapping[str, Any], known: Sequence[str], prefix: str) -> None:
    for key in doc:
        if key not in known:
            raise ExpectationError(
                f"{prefix}{key} is not an expectation; use {', '.join(prefix + k for k in known)}"
            )


# -- checking -----------------------------------------------------------------------------------


def check_validator(expectation: Expectation, findings: Sequence[Finding]) -> list[CheckResult]:
    """The validator's verdict against ``validator`` of the expectation."""
    out = []
    valid = not any(f.is_error for f in findings)
    if expectation.valid is not None:
        word = "valid" if expectation.valid else "invalid"
        out.append(
            CheckResult(
                f"validator: {word}",
                valid == expectation.valid,
                "" if valid == expectation.valid else _verdict_words(findings),
            )
        )
    for pattern in expectation.validator_findings:
        found = any(pattern.matches(f) for f in findings)
        out.append(
            CheckResult(
                f"validator: {pattern.describe()}",
                found,
                "" if found else f"not found; {_verdict_words(findings)}",
            )
        )
    return out


def check_status(expectation: Expectation, status: int | None, why_none: str) -> list[CheckResult]:
    """The answer's status against ``status`` (``why_none``: why there is no status)."""
    if expectation.status is None:
        return []
    check = f"status {expectation.status}"
    if status is None:
        return [CheckResult(check, False, why_none)]
    ok = status == expectation.status
    return [CheckResult(check, ok, "" if ok else f"the answer was {status}")]


def check_findings(expectation: Expectation, findings: Sequence[Finding]) -> list[CheckResult]:
    """The server's findings (errors[] of a 4xx) against ``findings``."""
    out = []
    for pattern in expectation.findings:
        found = any(pattern.matches(f) for f in findings)
        reason = ""
        if not found:
            named = "; ".join(_finding_words(f) for f in findings) or "none"
            reason = f"the server named: {named}"
        out.append(CheckResult(f"server finding: {pattern.describe()}", found, reason))
    return out


def check_response(
    expectation: Expectation, headers: Iterable[tuple[str, str]], body: bytes
) -> list[CheckResult]:
    """The answer's headers and body against ``response``."""
    lower: dict[str, list[str]] = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)
    parsed: Any = _NOT_JSON
    if expectation.response and any(c.subject == "body" for c in expectation.response):
        try:
            parsed = loads(body.decode("utf-8")) if body.strip() else _NO_BODY
        except (ValueError, UnicodeDecodeError):
            parsed = _NOT_JSON
    return [_check_one(c, lower, parsed) for c in expectation.response]


def check_landed(expectation: Expectation, outcome: str | None, summary: str) -> list[CheckResult]:
    """The read-back verdict (``landed``, ``not_seen``, ``cannot_check``, ``skipped``, or
    None when it was not read back) against ``landed``."""
    if expectation.landed is None:
        return []
    check = "landed" if expectation.landed else "not landed"
    if outcome is None:
        return [CheckResult(check, False, summary or "not read back")]
    if expectation.landed:
        ok = outcome == "landed"
    else:
        ok = outcome == "not_seen"
    return [CheckResult(check, ok, "" if ok else summary)]


_NOT_JSON = object()
_NO_BODY = object()
_MISSING = object()


def _check_one(check: ResponseCheck, headers: Mapping[str, list[str]], body: Any) -> CheckResult:
    what = check.describe()
    if check.subject == "header":
        values = headers.get(check.name.lower())
        if check.op == "absent":
            return _result(what, values is None, f"it is there: {_show(', '.join(values or []))}")
        if values is None:
            return CheckResult(what, False, "no such header in the answer")
        joined = ", ".join(values)
        if check.op == "equals":
            return _result(what, joined == check.value, f"it is {_show(joined)}")
        if check.op == "contains":
            return _result(what, str(check.value) in joined, f"it is {_show(joined)}")
        return CheckResult(what, True)
    if body is _NOT_JSON:
        return CheckResult(what, False, "the answer's body is not JSON")
    if body is _NO_BODY:
        value: Any = _MISSING
    else:
        value = _at(body, check.name)
    if check.op == "absent":
        return _result(what, value is _MISSING, f"it is there: {_show(value)}")
    if value is _MISSING:
        return CheckResult(
            what, False, "the answer has no body" if body is _NO_BODY else "nothing there"
        )
    if check.op == "equals":
        return _result(what, _same(value, check.value), f"it is {_show(value)}")
    if check.op == "contains":
        return _result(what, _contains(value, check.value), f"it is {_show(value)}")
    return CheckResult(what, True)


def _result(check: str, ok: bool, reason: str) -> CheckResult:
    return CheckResult(check, ok, "" if ok else reason)


def _at(doc: Any, ptr: str) -> Any:
    for token in split_pointer(ptr):
        if isinstance(doc, dict):
            if token not in doc:
                return _MISSING
            doc = doc[token]
        elif isinstance(doc, list):
            index = array_index(token)
            if index is None or index >= len(doc):
                return _MISSING
            doc = doc[index]
        else:
            return _MISSING
    return doc


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _contains(value: Any, part: Any) -> bool:
    """Text contains text; a list contains an item equal to ``part`` (an object item when it
    has every member ``part`` gives, with those values); an object contains the member
    ``part`` names."""
    if isinstance(value, str):
        return isinstance(part, str) and part in value
    if isinstance(value, list):
        return any(_same(item, part) or _has_members(item, part) for item in value)
    if isinstance(value, dict):
        return isinstance(part, str) and part in value
    return False


def _has_members(item: Any, part: Any) -> bool:
    if not isinstance(item, dict) or not isinstance(part, dict):
        return False
    return all(k in item and _same(item[k], v) for k, v in part.items())


def _bare(rule: str) -> str:
    return rule.removeprefix("server-")


def _verdict_words(findings: Sequence[Finding]) -> str:
    errors = [f for f in findings if f.is_error]
    if not errors:
        return "the validator found it valid" + (
            f" (warnings: {'; '.join(_finding_words(f) for f in findings)})" if findings else ""
        )
    return f"the validator found {len(errors)} error(s): " + "; ".join(
        _finding_words(f) for f in errors[:5]
    )


def _finding_words(finding: Finding) -> str:
    where = finding.target or "(the whole body)"
    return f"{finding.rule} at {where}"


def _show(value: Any) -> str:
    import json

    if value is _MISSING:
        return "nothing"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
