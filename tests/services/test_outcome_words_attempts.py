"""The words of an outcome say what its attempts tell, for every combination of attempt results:
a 429 and then a timeout is not "no response" (the server answered the first try), a timeout
after the request went out leaves the event in doubt and says so, and only then."""

from __future__ import annotations

import itertools
import json

import pytest

from composer.client import ClientSettings, RetryPolicy, Timeouts
from composer.domain.delivery import Delivery
from composer.domain.draft import sample_event
from composer.domain.outcome import (
    Attempt,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)
from composer.sandbox import FaultKind, SandboxConfig, run_in_thread
from composer.services.attempt_text import outcome_line
from composer.services.outcome_text import delivery_of, describe_outcome
from composer.services.send import Sender
from tests.services.conftest import FLAT_REVISION

REQUEST = RequestRecord(
    "POST", "http://sandbox/api/events/", (), json.dumps(sample_event()).encode()
)

K = TransportErrorKind
RESULTS: dict[str, tuple[int | None, TransportError | None]] = {
    "202": (202, None),
    "400": (400, None),
    "429": (429, None),
    "503": (503, None),
    "500": (500, None),
    "504": (504, None),
    "read timeout": (None, TransportError(K.TIMEOUT, "read timed out", request_sent=True)),
    "connect timeout": (None, TransportError(K.TIMEOUT, "connect timed out", request_sent=False)),
    "refused": (None, TransportError(K.REFUSED, "refused", request_sent=False)),
    "reset": (None, TransportError(K.RESET, "reset", request_sent=True)),
    "dns": (None, TransportError(K.DNS, "no such host", request_sent=False)),
}
DOUBT = ("may have been recorded", "may or may not have been recorded")


def outcome_of(names: tuple[str, ...], *, out_of_time: bool = False) -> SendOutcome:
    """A send whose tries got ``names`` in order; ``out_of_time``: its time limit then ran
    out while it waited to try again."""
    attempts = tuple(Attempt(n, *RESULTS[name], duration_ms=5.0) for n, name in enumerate(names, 1))
    status, error = RESULTS[names[-1]]
    if out_of_time:
        status, error = None, TransportError(K.TIMEOUT, "no complete answer within 1 s")
    return SendOutcome(REQUEST, status=status, attempts=attempts, error=error)


RETRIED = {"429", "503", "500", "504", "read timeout", "connect timeout", "refused", "reset"}
"""What a try may get and still be followed by another (a 2xx, a 400 or a DNS failure end it)."""
COMBINATIONS = [
    (names, late)
    for n in (1, 2, 3)
    for names in itertools.product(RESULTS, repeat=n)
    if set(names[:-1]) <= RETRIED
    for late in ((False, True) if names[-1] in RETRIED and RESULTS[names[-1]][0] else (False,))
]


@pytest.mark.parametrize(("names", "late"), COMBINATIONS, ids=str)
def test_the_words_say_what_every_attempt_told_and_no_more(names, late):
    outcome = outcome_of(names, out_of_time=late)
    delivery = delivery_of(outcome)
    words = describe_outcome(outcome, unique_id="u-1")
    text = f"{words.headline}. {words.explanation}"
    line = outcome_line(outcome)
    if delivery is Delivery.ACCEPTED:
        assert line is None
        return
    assert line is not None
    answered = [RESULTS[n][0] for n in names if RESULTS[n][0] is not None]
    in_doubt = delivery is Delivery.UNKNOWN
    # the event may or may not have landed: said exactly where that is true
    assert any(d in text for d in DOUBT) == in_doubt, text
    assert any(d in line for d in DOUBT) == in_doubt, line
    # "no response" only when no try got an answer
    if answered:
        assert "no response" not in text.lower(), text
        assert "no response" not in line.lower(), line
        for status in answered:  # every answer the server gave is named
            if len(names) > 1 or delivery is not Delivery.NOT_ACCEPTED:
                assert str(status) in line, line
            assert str(status) in text, text
    if late:  # the time limit ran out between tries: said, and not as a try that went out
        assert "time limit ran out" in line and "time limit ran out" in text, (line, text)


def test_a_429_and_then_a_timed_out_retry_reads_as_both(make_example):
    """Over real HTTP: the first try is refused with 429, the retry's answer comes after the
    send's time limit. The words name the 429 and the timeout, and the doubt the timeout
    leaves (its request had gone out), never "no response"."""
    # seed 1 draws a bare 429 first, then a slow answer
    config = SandboxConfig(
        fault_rate=1.0,
        fault_seed=1,
        fault_kinds=(FaultKind.THROTTLED_NO_RETRY_AFTER, FaultKind.SLOW),
        slow_seconds=3,
    )
    settings = ClientSettings(retry=RetryPolicy(max_attempts=2), timeouts=Timeouts(total=1.0))

    async def send() -> SendOutcome:
        with run_in_thread(config) as url:
            async with Sender.open(
                url, environ={}, settings=settings, revision=FLAT_REVISION
            ) as sender:
                result = await sender.send(make_example())
        assert result.outcome is not None
        return result.outcome

    import asyncio

    outcome = asyncio.run(send())
    assert [a.status for a in outcome.attempts] == [429, None]
    last = outcome.attempts[-1].error
    assert last is not None and last.kind is TransportErrorKind.TIMEOUT  # not "cancelled"
    words = describe_outcome(outcome, unique_id="u-1")
    assert words.headline == "Outcome unknown: the event may have been recorded"
    assert "429 Rate limited, then no answer in time" in words.explanation
    assert "may or may not have been recorded" in words.explanation
    line = outcome_line(outcome)
    assert line is not None and "429" in line and "no response" not in line


def test_send_says_a_429_then_the_time_limit_is_not_recorded_and_not_no_response(
    tmp_path, capsys, monkeypatch
):
    """`event-composer send`: the only try is refused with 429 (Retry-After) and the send's
    time limit runs out while it waits to retry: the server did answer, and nothing was
    recorded."""
    from composer.cli import main

    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    body = tmp_path / "event.json"
    body.write_text(json.dumps(sample_event()))
    config = SandboxConfig(fault_rate=1.0, fault_kinds=(FaultKind.THROTTLED,))
    with run_in_thread(config) as url:
        code = main(["--data-dir", str(tmp_path / "s"), "send", str(body), "--target", url,
                     "--timeout", "0.5"])  # fmt: skip
    out = capsys.readouterr().out
    assert code != 0
    assert "Not recorded: 429 Rate limited, then out of time" in out, out
    assert "no response" not in out.lower() and "never reached the server" not in out
    assert main(["--data-dir", str(tmp_path / "s"), "history", "show", "1"]) == 0
    shown = capsys.readouterr().out
    status = next(line for line in shown.splitlines() if line.startswith("Status:"))
    assert "429 Rate limited" in status and "no response" not in status, status
    # the history's listing: the earlier answer, then what the last try got
    assert main(["--data-dir", str(tmp_path / "s"), "history"]) == 0
    listed = capsys.readouterr().out
    assert "429, then timeout" in listed, listed
    # a damaged attempts record does not stop the listing
    import sqlite3

    with sqlite3.connect(tmp_path / "s" / "history.sqlite3") as raw:
        raw.execute("UPDATE entry SET attempts = '{not json'")
    raw.close()
    assert main(["--data-dir", str(tmp_path / "s"), "history"]) == 0
    assert "no response (timeout)" in capsys.readouterr().out
