"""The network layer (httpx only, Qt-free): one :class:`EventClient` per target whose
transport stack is ``RetryTransport -> RateLimitTransport -> the real transport``, so tests
swap only the bottom. Outcomes are :class:`composer.domain.outcome.SendOutcome` values.

Exceptions: the client reports HTTP and network trouble in the outcome instead of raising.
It raises only :class:`TargetError` (bad target), :class:`KeyFormatError` (a key that cannot
be a header) and, on cancellation, :class:`SendCancelled` (a ``CancelledError``).
"""

from composer.client.client import (
    USER_AGENT,
    ClientSettings,
    EventClient,
    KeyFormatError,
    PreparedSend,
    SendCancelled,
    Timeouts,
)
from composer.client.errors import classify
from composer.client.ratelimit import (
    LimiterRegistry,
    RateLimiter,
    RateLimits,
    RateLimitTransport,
    Window,
    retry_after_seconds,
)
from composer.client.retry import RetryPolicy, RetryTransport, has_unique_id
from composer.client.targets import (
    PRODUCTION_URL,
    SANDBOX_KEY,
    SANDBOX_URL,
    Target,
    TargetError,
    TargetKind,
    parse_target,
)

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_KEY",
    "SANDBOX_URL",
    "USER_AGENT",
    "ClientSettings",
    "EventClient",
    "KeyFormatError",
    "LimiterRegistry",
    "PreparedSend",
    "RateLimitTransport",
    "RateLimiter",
    "RateLimits",
    "RetryPolicy",
    "RetryTransport",
    "SendCancelled",
    "Target",
    "TargetError",
    "TargetKind",
    "Timeouts",
    "Window",
    "classify",
    "has_unique_id",
    "parse_target",
    "retry_after_seconds",
]
