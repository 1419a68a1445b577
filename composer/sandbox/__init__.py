"""The sandbox: a local emulator of Klaviyo's Create Event (POST /api/events, every revision
the domain knows, 2023-01-24 to the newest, each at its own path and content type), Bulk
Create Events (POST /api/event-bulk-create-jobs, from 2024-05-15) and the read endpoints,
for sends and tests that must not reach Klaviyo.

Two ways to use one (see docs/sandbox.md)::

    app = create_app(SandboxConfig())                        # in-process, no socket
    async with httpx.AsyncClient(transport=in_process_transport(app),
                                 base_url=IN_PROCESS_BASE_URL) as client: ...

    with run_in_thread(SandboxConfig()) as base_url:         # loopback, uvicorn in a thread
        httpx.post(f"{base_url}/api/events", ...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composer.sandbox.app import EVENTS_PATHS, SandboxApp, SandboxStats, create_app
from composer.sandbox.config import (
    ALL_FAULT_KINDS,
    JSONAPI_MEDIA_TYPE,
    FaultKind,
    RetiredRevisionPolicy,
    SandboxConfig,
)
from composer.sandbox.faults import DroppedConnection
from composer.sandbox.recorder import RecordedEvent

if TYPE_CHECKING:
    import httpx

    from composer.sandbox.server import RunningSandbox, run_in_thread

IN_PROCESS_BASE_URL = "http://sandbox.event-composer.invalid"
"""A base URL for in-process clients: never resolvable, so nothing can leak to a network."""


def in_process_transport(app: SandboxApp | SandboxConfig | None = None) -> httpx.ASGITransport:
    """An httpx transport that calls ``app`` in-process (a new sandbox when given a config or
    nothing). Requests never touch a socket; the app's state lives as long as the app."""
    import httpx

    target = app if isinstance(app, SandboxApp) else SandboxApp(app)
    return httpx.ASGITransport(app=target)


def __getattr__(name: str) -> Any:
    # uvicorn is loaded only by those who serve over loopback (the GUI's in-process default
    # does not pay for it).
    if name in ("run_in_thread", "RunningSandbox"):
        from composer.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALL_FAULT_KINDS",
    "EVENTS_PATHS",
    "IN_PROCESS_BASE_URL",
    "JSONAPI_MEDIA_TYPE",
    "DroppedConnection",
    "FaultKind",
    "RecordedEvent",
    "RetiredRevisionPolicy",
    "RunningSandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxStats",
    "create_app",
    "in_process_transport",
    "run_in_thread",
]
