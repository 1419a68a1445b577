"""How one sandbox behaves: limits, clock, faults, scopes, revisions. Plain frozen data."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from composer.domain.rules import MAX_BODY_BYTES

Clock = Callable[[], float]
"""Seconds since the epoch (like :func:`time.time`); tests inject a fake one."""

JSONAPI_MEDIA_TYPE = "application/vnd.api+json"
"""What Klaviyo was seen sending with its JSON:API error bodies (a real 429, March 2023)."""


class FaultKind(StrEnum):
    """One kind of trouble the sandbox can inject, as a tester names it on the command line."""

    THROTTLED = "429"
    """429 ``throttled`` with a Retry-After header."""
    THROTTLED_NO_RETRY_AFTER = "429-bare"
    """429 ``throttled`` without Retry-After (as Klaviyo was seen answering), detail says 0 s."""
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    GATEWAY_TIMEOUT = "504"
    """504 after the event was processed: the answer is lost, the event may be recorded."""
    SLOW = "slow"
    """The normal answer, after ``slow_seconds``."""
    DROP = "drop"
    """The connection closes with no response, after the event was processed."""


ALL_FAULT_KINDS: tuple[FaultKind, ...] = tuple(FaultKind)


class RetiredRevisionPolicy(StrEnum):
    """What the sandbox does with a revision retired on the sandbox's clock (two years after
    its release, e.g. 2023-01-24)."""

    SERVE = "serve"
    """Serve it as published (the default): an event in an old layout, at its own retired
    revision, can still be tested."""
    FALL_FORWARD = "fall-forward"
    """As production most likely does today: validate the body as the oldest supported
    revision; a request with ``X-Klaviyo-Revision-Fall-Forward-Opt-Out: 1`` gets 410."""
    GONE = "gone"
    """Always answer 410 Gone."""


FALL_FORWARD_OPT_OUT_HEADER = "X-Klaviyo-Revision-Fall-Forward-Opt-Out"

READ_SCOPES: tuple[str, ...] = ("events:read", "metrics:read", "profiles:read")
"""The scopes of the read endpoints the sandbox serves (GET /api/events, metrics, profiles)."""


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that makes one sandbox differ from another. All fields have safe defaults:
    Klaviyo's documented limits for Create Event, the real clock, no faults."""

    burst_limit: int = 350
    """Requests per key per one-second fixed window."""
    steady_limit: int = 3500
    """Requests per key per one-minute fixed window."""
    clock: Clock = time.time
    bulk_burst_limit: int = 10
    """Bulk Create Events jobs per key per one-second window (Klaviyo: 10/s)."""
    bulk_steady_limit: int = 150
    """Bulk Create Events jobs per key per one-minute window (Klaviyo: 150/m)."""
    fault_rate: float = 0.0
    """Share of POST /api/events requests (0..1) answered with an injected fault."""
    fault_seed: int | None = None
    """Seed of the fault draw; the same seed and request sequence give the same faults."""
    fault_kinds: tuple[FaultKind, ...] = ALL_FAULT_KINDS
    slow_seconds: float = 2.0
    """How long a ``slow`` fault holds the answer back (real time, not ``clock``)."""
    deny_events_write: bool = False
    """Treat every key as lacking the Events Write scope (403 ``permission_denied``)."""
    scope_denied_keys: frozenset[str] = field(default=frozenset(), repr=False)
    """Particular keys that lack Events Write (kept out of repr: they are secrets)."""
    retired_revisions: RetiredRevisionPolicy = RetiredRevisionPolicy.SERVE
    error_media_type: str = JSONAPI_MEDIA_TYPE
    """Content-Type of error bodies; the published spec says application/json."""
    max_recorded: int = 10_000
    """Recorded events kept in memory (oldest forgotten first, de-duplication with them)."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Larger bodies get 413 without being read: Klaviyo's documented 5 MB (5,000,000 bytes)."""
    header_timeout: float = 5.0
    """Over HTTP: seconds a request's line and headers may take to arrive (else 408)."""
    body_timeout: float = 5.0
    """Over HTTP: seconds a request's body may take to arrive after its headers (else 408)."""
    max_connections: int = 256
    """Over HTTP: open connections served at once; a request beyond them is answered 503."""
    processing_delay: float = 0.0
    """Seconds (on ``clock``) after its 202 before an accepted event, and the profile and
    metric it creates, can be read back through GET /api/events, /api/metrics, /api/profiles."""
    drop_rate: float = 0.0
    """Share (0..1) of accepted events answered 202 and then never recorded, as a downstream
    drop at Klaviyo would be."""
    drop_seed: int | None = None
    """Seed of the drop draw (and of the ids the sandbox gives profiles, metrics, events)."""
    denied_scopes: frozenset[str] = frozenset()
    """Read scopes every key lacks (``events:read``, ``metrics:read``, ``profiles:read``)."""
    key_scopes: Mapping[str, frozenset[str]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Particular keys and the read scopes each has (others have all); out of repr: secrets."""

    def __post_init__(self) -> None:
        if (
            min(self.burst_limit, self.steady_limit, self.bulk_burst_limit, self.bulk_steady_limit)
            < 1
        ):
            raise ValueError(
                "burst_limit, steady_limit, bulk_burst_limit and bulk_steady_limit must be at "
                "least 1"
            )
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, not {self.fault_rate}")
        if self.fault_rate > 0 and not self.fault_kinds:
            raise ValueError("fault_kinds is empty but fault_rate is above 0")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must not be negative")
        if self.max_recorded < 1:
            raise ValueError("max_recorded must be at least 1")
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("header_timeout and body_timeout must be above 0")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if not 0.0 <= self.drop_rate <= 1.0:
            raise ValueError(f"drop_rate must be between 0 and 1, not {self.drop_rate}")
        if not 0.0 <= self.processing_delay <= 86_400:
            raise ValueError("processing_delay must be between 0 and 86400 seconds")
        unknown = set(self.denied_scopes) - set(READ_SCOPES)
        if unknown:
            raise ValueError(
                f"unknown scope {sorted(unknown)[0]!r}: use one of {', '.join(READ_SCOPES)}"
            )

    def has_scope(self, key: str, scope: str) -> bool:
        """Whether ``key`` may use an endpoint that needs read ``scope``."""
        if scope in self.denied_scopes:
            return False
        granted = self.key_scopes.get(key)
        return granted is None or scope in granted
