"""The network layer (httpx only, Qt-free): one :class:`EventClient` per target whose
transport stack is ``RetryTransport -> RateLimitTransport -> the real transport``, so tests
swap only the bottom. Outcomes are :class:`composer.domain.outcome.SendOutcome` values.

Exceptions: the client reports HTTP and network trouble in the outcome instead of raising.
It raises only :class:`TargetError` (bad target), :class:`KeyFormatError` (a key that cannot
be a header) and, on cancellation, :class:`SendCancelled` (a ``CancelledError``).
"""

# Exports resolve on first use (PEP 562), so importing one light module such as
# composer.client.targets does not pull in httpx: the desktop window paints before the
# network stack is loaded.
from __future__ import annotations

from typing import TYPE_CHECKING

from composer.lazy import lazy_exports

_EXPORTS = {
    "BULK_LIMITS": "composer.client.ratelimit",
    "ClientSettings": "composer.client.client",
    "EventClient": "composer.client.client",
    "KeyFormatError": "composer.client.client",
    "KeyRoute": "composer.client.targets",
    "LimiterRegistry": "composer.client.ratelimit",
    "PRODUCTION_URL": "composer.client.targets",
    "PreparedSend": "composer.client.client",
    "RateLimitTransport": "composer.client.ratelimit",
    "RateLimiter": "composer.client.ratelimit",
    "RateLimits": "composer.client.ratelimit",
    "RetryPolicy": "composer.client.retry",
    "RetryTransport": "composer.client.retry",
    "SANDBOX_KEY": "composer.client.targets",
    "SANDBOX_URL": "composer.client.targets",
    "SendCancelled": "composer.client.client",
    "Target": "composer.client.targets",
    "TargetError": "composer.client.targets",
    "TargetKind": "composer.client.targets",
    "Timeouts": "composer.client.client",
    "USER_AGENT": "composer.client.client",
    "Window": "composer.client.ratelimit",
    "classify": "composer.client.errors",
    "has_unique_id": "composer.client.retry",
    "parse_target": "composer.client.targets",
    "retry_after_seconds": "composer.client.ratelimit",
}

if TYPE_CHECKING:
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
        BULK_LIMITS,
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
        KeyRoute,
        Target,
        TargetError,
        TargetKind,
        parse_target,
    )


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BULK_LIMITS",
    "PRODUCTION_URL",
    "SANDBOX_KEY",
    "SANDBOX_URL",
    "USER_AGENT",
    "ClientSettings",
    "EventClient",
    "KeyFormatError",
    "KeyRoute",
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
