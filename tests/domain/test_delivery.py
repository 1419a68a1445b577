"""The delivery state of a send, derived from its attempts: one table, both sides of each rule."""

from __future__ import annotations

import pytest

from composer.domain.delivery import Delivery, derive_delivery
from composer.domain.outcome import Attempt, TransportError
from composer.domain.outcome import TransportErrorKind as K


def err(kind: K, sent: bool | None = None) -> TransportError:
    return TransportError(kind, "x", sent)


def attempts(*items: int | TransportError) -> tuple[Attempt, ...]:
    return tuple(
        Attempt(i + 1, it if isinstance(it, int) else None, None if isinstance(it, int) else it, 1)
        for i, it in enumerate(items)
    )


READ_TIMEOUT = err(K.TIMEOUT, True)
CONNECT_TIMEOUT = err(K.TIMEOUT, False)
DROPPED = err(K.RESET, True)
REFUSED = err(K.REFUSED, False)
CANCELLED_IN_FLIGHT = err(K.CANCELLED)

A, N, U, S = Delivery.ACCEPTED, Delivery.NOT_ACCEPTED, Delivery.UNKNOWN, Delivery.NOT_SENT


@pytest.mark.parametrize(
    ("tries", "expected"),
    [
        ((202,), A),
        ((429, 202), A),
        ((READ_TIMEOUT, 202), A),
        ((500, 202), A),
        ((400,), N),
        ((401,), N),
        ((403,), N),
        ((408,), N),
        ((413,), N),
        ((429,), N),
        ((429, 429, 429), N),
        ((503,), N),
        ((503, 429), N),
        ((REFUSED,), N),
        ((REFUSED, REFUSED, 503), N),
        ((CONNECT_TIMEOUT,), N),
        ((err(K.DNS, False),), N),
        ((err(K.TLS, False),), N),
        # it may have been processed: doubt that no later answer removes
        ((500,), U),
        ((502,), U),
        ((504,), U),
        ((READ_TIMEOUT,), U),
        ((DROPPED,), U),
        ((CANCELLED_IN_FLIGHT,), U),
        ((READ_TIMEOUT, 500), U),
        ((READ_TIMEOUT, 429), U),
        ((DROPPED, 503, 503), U),
        ((504, 400), U),
        ((REFUSED, READ_TIMEOUT), U),
        ((err(K.PROTOCOL, True),), U),
        ((err(K.OTHER),), U),
        # what entries written before the client said whether the request left are judged on
        ((err(K.TIMEOUT),), U),
        ((err(K.RESET),), U),
        ((err(K.REFUSED),), N),
    ],
)
def test_delivery_from_attempts(tries, expected):
    assert derive_delivery(attempts(*tries)) is expected


def test_first_attempt_timed_out_and_the_retry_got_500_is_unknown_not_failed():
    tries = attempts(READ_TIMEOUT, 500)
    assert derive_delivery(tries, status=500) is Delivery.UNKNOWN


def test_no_attempt_left_the_app_is_not_sent():
    assert derive_delivery((), error=err(K.CANCELLED)) is Delivery.NOT_SENT
    assert derive_delivery((), error=err(K.TIMEOUT)) is Delivery.NOT_SENT


def test_final_status_stands_for_an_attempt_when_none_were_recorded():
    assert derive_delivery((), status=202) is Delivery.ACCEPTED
    assert derive_delivery((), status=400) is Delivery.NOT_ACCEPTED
    assert derive_delivery((), status=504) is Delivery.UNKNOWN


def test_history_states():
    assert derive_delivery((), state="pending") is Delivery.UNKNOWN
    assert derive_delivery(attempts(202), state="pending") is Delivery.UNKNOWN
    assert derive_delivery((), state="imported") is Delivery.NOT_SENT
