"""The sandbox ASGI application: Klaviyo's POST /api/events/ as a tester can observe it.

Plain ASGI rather than a framework: the hot path (one POST) is a handful of dictionary look-ups
plus the domain validator, which keeps the per-request overhead low enough for replay tests.

Order of checks for POST /api/events/ (each one answers and stops):
fault draw -> 401 key -> 400/410 revision -> 403 scope -> 429 rate limit -> 415 media type ->
413 size -> 400 body (one error per ERROR finding) -> 202 (recorded once per profile, metric and
unique_id). Bulk Create Events (composer/sandbox/bulk.py) shares these checks up to the body
(``admit``) with limits of its own, and records each event of a job through ``record``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import parse_qs

from composer.domain.findings import Severity
from composer.domain.outcome import SANDBOX_DUPLICATE_HEADER
from composer.domain.revisions import Revision
from composer.domain.rules import MAX_BODY_BYTES
from composer.domain.validator import Validator
from composer.sandbox import jsonapi
from composer.sandbox.bulk import BulkJobs, bulk_path_error
from composer.sandbox.bulk import permission_error as bulk_permission_error
from composer.sandbox.config import (
    FALL_FORWARD_OPT_OUT_HEADER,
    JSONAPI_MEDIA_TYPE,
    FaultKind,
    RetiredRevisionPolicy,
    SandboxConfig,
)
from composer.sandbox.faults import DroppedConnection, FaultInjector
from composer.sandbox.jsonapi import ApiError, Headers, Reply
from composer.sandbox.ratelimit import RateLimiter, Verdict
from composer.sandbox.read_api import Endpoint, ReadApi, read_endpoint
from composer.sandbox.readstore import ReadStore
from composer.sandbox.recorder import EventRecorder, RecordedEvent
from composer.sandbox.revision_header import RevisionResolver

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

EVENTS_PATHS = frozenset({"/api/events/", "/api/events"})
"""The trailing slash up to 2024-07-15 and the slash-less path of 2024-10-15 on; each revision
is served only at its own (a request at the other path gets 404)."""
BULK_PATHS = frozenset({"/api/event-bulk-create-jobs/", "/api/event-bulk-create-jobs"})
"""Bulk Create Events, from 2024-05-15: the same slash rule as Create Event."""
_OPT_OUT = FALL_FORWARD_OPT_OUT_HEADER.lower().encode("ascii")
_KEY_RE = re.compile(r"pk_[A-Za-z0-9]+")
_AUTH_SCHEME = "klaviyo-api-key"
_ASCII_DIGITS = re.compile(rb"[0-9]+")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PostEndpoint:
    """What differs between the API's POST endpoints in the checks they share."""

    limiter: RateLimiter
    path_error: Callable[[str, Revision], ApiError | None]
    """The 404 for a path the (requested) revision does not have there, None when it does."""
    permission_error: ApiError
    send_less: str
    """The end of the 413's detail: what to send instead."""


@dataclass(frozen=True, slots=True)
class Admitted:
    """A POST that passed every check before its body is judged."""

    key: str
    revision: Revision
    """The revision whose body rules apply (after a retired one fell forward)."""
    verdict: Verdict
    body: bytes
    now: float


@dataclass
class SandboxStats:
    """Counts since start (or the last reset), as GET /sandbox/stats reports them."""

    requests: int = 0
    accepted: int = 0
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    throttled: int = 0
    dropped: int = 0
    rejected_by_status: Counter[int] = field(default_factory=Counter)
    jobs_accepted: int = 0
    """Bulk jobs answered 202 (their events count in accepted, recorded, ... one by one)."""

    def to_json(self, faults: FaultInjector) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_by_status": {str(k): v for k, v in sorted(self.rejected_by_status.items())},
            "throttled": self.throttled,
            "dropped": self.dropped,
            "jobs_accepted": self.jobs_accepted,
            "faults_injected": faults.total,
            "faults_by_kind": {k.value: v for k, v in sorted(faults.injected.items())},
        }


class SandboxApp:
    """One sandbox: an ASGI callable that keeps its state (events, windows, counts) in the
    instance, so one in-process sandbox remembers events across requests."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        cfg = self.config
        self.stats = SandboxStats()
        self.recorder = EventRecorder(cfg.max_recorded)
        self.limiter = RateLimiter(cfg.burst_limit, cfg.steady_limit)
        self.bulk_limiter = RateLimiter(cfg.bulk_burst_limit, cfg.bulk_steady_limit)
        """Bulk Create Events has limits of its own (10/s, 150/min), counted apart."""
        self.faults = FaultInjector(cfg.fault_rate, cfg.fault_seed, cfg.fault_kinds)
        self._resolver = RevisionResolver(cfg.clock, cfg.retired_revisions)
        self._validators: dict[str, Validator] = {}
        self._media = cfg.error_media_type
        self.store = ReadStore(cfg.max_recorded, cfg.drop_seed)
        self.reads = ReadApi(self.store, self._has_scope, self._media)
        self._drops = random.Random(cfg.drop_seed)
        self._events_post = PostEndpoint(
            self.limiter,
            _events_path_error,
            jsonapi.permission_denied_error(),
            "send less data in one event",
        )
        self.bulk_post = PostEndpoint(
            self.bulk_limiter,
            bulk_path_error,
            bulk_permission_error(),
            "send fewer events in one job",
        )
        self._bulk = BulkJobs(self)

    # -- Python surface for tests and the GUI (no HTTP needed) -----------------------------

    def events(self, limit: int | None = None) -> list[RecordedEvent]:
        """Recorded events, newest first."""
        return self.recorder.newest_first(limit)

    def stats_json(self) -> dict[str, Any]:
        """The counts GET /sandbox/stats returns."""
        return self.stats.to_json(self.faults)

    def set_retired_revisions(self, policy: RetiredRevisionPolicy) -> None:
        """Change what retired revisions get, from the next request on (the GUI's Settings)."""
        self.config = dataclasses.replace(self.config, retired_revisions=policy)
        self._resolver.policy = policy

    def reset(self) -> None:
        """Forget events, counts and rate-limit windows, and restart the fault sequence."""
        self.recorder.clear()
        self.stats = SandboxStats()
        self.limiter.reset()
        self.bulk_limiter.reset()
        self.faults.reset()
        self.store.clear()
        self.reads.reset()
        self._drops = random.Random(self.config.drop_seed)

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            try:
                reply = await self._route(scope, receive)
            except DroppedConnection:
                raise
            except Exception:  # a bug must still get a JSON:API answer, and not stop the server
                log.exception("the sandbox failed on %s %s", scope.get("method"), scope.get("path"))
                reply = jsonapi.error_reply(500, [jsonapi.internal_error()], self._media)
            await send(
                {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
            )
            await send({"type": "http.response.body", "body": reply.body})
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith("/sandbox/"):
            return self._inspect(path, method, scope)
        self.stats.requests += 1  # every request to the emulated API, whatever its answer
        if method == "GET":
            found = read_endpoint(path)
            if found is not None:
                return self._read(scope, *found)
        if path in EVENTS_PATHS:
            if method != "POST":
                return self._refused(
                    405,
                    jsonapi.method_not_allowed_error(method, "GET, POST"),
                    None,
                    [(b"allow", b"GET, POST")],
                )
            return await self._post(scope, receive, self._create_event)
        if path in BULK_PATHS:
            if method != "POST":
                return self._refused(
                    405,
                    jsonapi.method_not_allowed_error(method, "POST"),
                    None,
                    [(b"allow", b"POST")],
                )
            return await self._post(scope, receive, self._bulk.create_job)
        return self._refused(404, jsonapi.not_found_error(path), None)

    # -- POST /api/events/ --------------------------------------------------------------------

    async def _post(
        self,
        scope: Scope,
        receive: Receive,
        handler: Callable[[Scope, Receive], Awaitable[Reply]],
    ) -> Reply:
        """A POST of the API (one event or a bulk job), with the fault draw around it."""
        fault = self.faults.draw()
        if fault is not None:
            if fault is FaultKind.SLOW:
                await asyncio.sleep(self.config.slow_seconds)
            elif fault not in (FaultKind.GATEWAY_TIMEOUT, FaultKind.DROP):
                return self._fault_reply(fault)
        reply = await handler(scope, receive)
        if fault is FaultKind.GATEWAY_TIMEOUT:
            return self._fault_reply(fault)
        if fault is FaultKind.DROP:
            raise DroppedConnection()
        return reply

    async def _create_event(self, scope: Scope, receive: Receive) -> Reply:
        admitted = await self.admit(scope, receive, self._events_post)
        if isinstance(admitted, Reply):
            return admitted
        revision, verdict, now = admitted.revision, admitted.verdict, admitted.now
        report = self._validator(revision).validate_text(admitted.body)
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        if errors:
            return self._refused(400, jsonapi.findings_errors(errors), verdict)
        self.stats.accepted += 1
        received = datetime.fromtimestamp(now, UTC)
        answer: Headers = [(b"content-length", b"0"), *_rate_headers(verdict)]
        if self.record(report.payload, revision, received, now) is Recording.DUPLICATE:
            # Klaviyo answers a duplicate like any event and says nothing; the sandbox says so
            # in a header of its own, so a tester can see it.
            answer.append((SANDBOX_DUPLICATE_HEADER.encode("ascii"), b"1"))
        return Reply(202, answer)

    def record(
        self,
        payload: Any,
        revision: Revision,
        received: datetime,
        now: float,
        profile: str | None = None,
    ) -> Recording:
        """Process one accepted event: dropped downstream (``drop_rate``), recorded (and so
        readable after ``processing_delay``), or a duplicate of one recorded before.
        ``profile``: the event's profile identity, when the caller knows it already."""
        if self.config.drop_rate and self._drops.random() < self.config.drop_rate:
            self.stats.dropped += 1  # answered like any event, then lost downstream
            return Recording.DROPPED
        if self.recorder.record(payload, revision, received, profile):
            self.stats.recorded += 1
            available = now + self.config.processing_delay
            self.store.add(payload, revision, now, available, profile)
            return Recording.RECORDED
        self.stats.duplicates += 1
        return Recording.DUPLICATE

    def accepted_reply(self, verdict: Verdict) -> Reply:
        """A 202 without a body, with the RateLimit-* headers of ``verdict``."""
        return Reply(202, [(b"content-length", b"0"), *_rate_headers(verdict)])

    async def admit(
        self, scope: Scope, receive: Receive, endpoint: PostEndpoint
    ) -> Reply | Admitted:
        """The checks every POST of the API makes before its body is judged, in Klaviyo's
        order: key, revision, path, scope, rate limit, media type, size. A Reply refuses."""
        headers = dict(scope["headers"])
        now = self.config.clock()
        key, auth_error = _api_key(headers.get(b"authorization"))
        if auth_error is not None:
            return self._refused(
                401,
                auth_error,
                endpoint.limiter.state(None, now),
                [(b"www-authenticate", b'Klaviyo-API-Key realm="api"')],
            )
        assert key is not None
        raw_revision = headers.get(b"revision")
        resolution = self._resolver.resolve(
            raw_revision.decode("latin-1") if raw_revision is not None else None,
            opt_out=headers.get(_OPT_OUT, b"").strip() == b"1",
        )
        if resolution.revision is None:
            assert resolution.error is not None
            return self._refused(
                resolution.status, resolution.error, endpoint.limiter.state(key, now)
            )
        revision = resolution.revision
        published = resolution.requested or revision
        wrong_path = endpoint.path_error(scope["path"], published)
        if wrong_path is not None:
            return self._refused(404, wrong_path, endpoint.limiter.state(key, now))
        if self.config.deny_events_write or key in self.config.scope_denied_keys:
            return self._refused(403, endpoint.permission_error, endpoint.limiter.state(key, now))
        verdict = endpoint.limiter.hit(key, now)
        if not verdict.allowed:
            self.stats.throttled += 1
            retry = str(verdict.retry_after).encode("ascii")
            return jsonapi.error_reply(
                429,
                [jsonapi.throttled_error(verdict.retry_after)],
                self._media,
                [(b"retry-after", retry)],
            )
        media_error = _media_type_error(headers, published)
        if media_error is not None:
            return self._refused(415, media_error, verdict)
        body, outcome = await _read_body(headers, receive, self.config.max_body_bytes)
        if outcome is _BodyOutcome.GONE:  # the client left (or timed out): nobody to answer
            return Reply(499)
        if outcome is _BodyOutcome.TOO_LARGE:
            limit = self.config.max_body_bytes
            return self._refused(
                413,
                ApiError(
                    "request_too_large",
                    "Request entity too large.",
                    f"The request body is larger than {limit:,} bytes; Klaviyo accepts bodies "
                    f"of at most 5 MB ({MAX_BODY_BYTES:,} bytes): {endpoint.send_less}.",
                ),
                verdict,
            )
        return Admitted(key, revision, verdict, body, now)

    def _has_scope(self, key: str, scope: str) -> bool:
        # Through self.config, which set_retired_revisions() replaces while running.
        return self.config.has_scope(key, scope)

    def _read(self, scope: Scope, endpoint: Endpoint, item_id: str | None) -> Reply:
        """GET of a read endpoint: the key and revision checks of POST, then the read API."""
        headers = dict(scope["headers"])
        now = self.config.clock()
        key, auth_error = _api_key(headers.get(b"authorization"))
        if auth_error is not None:
            return self._refused(
                401,
                auth_error,
                None,
                [(b"www-authenticate", b'Klaviyo-API-Key realm="api"')],
            )
        assert key is not None
        raw_revision = headers.get(b"revision")
        resolution = self._resolver.resolve(
            raw_revision.decode("latin-1") if raw_revision is not None else None,
            opt_out=headers.get(_OPT_OUT, b"").strip() == b"1",
        )
        if resolution.revision is None:
            assert resolution.error is not None
            return self._refused(resolution.status, resolution.error, None)
        host = headers.get(b"host", b"").decode("latin-1") or "localhost"
        base = f"{scope.get('scheme', 'http')}://{host}"
        query = scope.get("query_string", b"")
        reply = self.reads.handle(
            endpoint, item_id, query=query, key=key, base=base, path=scope["path"], now=now
        )
        if reply.status == 429:
            self.stats.throttled += 1
        elif reply.status >= 400:
            self.stats.rejected += 1
            self.stats.rejected_by_status[reply.status] += 1
        return reply

    def validator(self, revision: Revision) -> Validator:
        """The Create Event validator of ``revision`` on the sandbox's clock."""
        return self._validator(revision)

    def _validator(self, revision: Revision) -> Validator:
        validator = self._validators.get(revision.name)
        if validator is None:
            clock = self.config.clock
            validator = self._validators[revision.name] = Validator(
                revision, lambda: datetime.fromtimestamp(clock(), UTC)
            )
        return validator

    def refuse(
        self,
        status: int,
        error: ApiError | list[ApiError],
        verdict: Verdict | None,
        extra: Headers | None = None,
    ) -> Reply:
        """A 4xx answer (never 429) with the RateLimit-* headers of the steady window."""
        return self._refused(status, error, verdict, extra)

    def _refused(
        self,
        status: int,
        error: ApiError | list[ApiError],
        verdict: Verdict | None,
        extra: Headers | None = None,
    ) -> Reply:
        """A 4xx answer (never 429) with the RateLimit-* headers of the steady window."""
        if status >= 400:
            self.stats.rejected += 1
            self.stats.rejected_by_status[status] += 1
        if verdict is None:
            verdict = self.limiter.state(None, self.config.clock())
        headers = _rate_headers(verdict)
        if extra:
            headers.extend(extra)
        errors = error if isinstance(error, list) else [error]
        return jsonapi.error_reply(status, errors, self._media, headers)

    def _fault_reply(self, fault: FaultKind) -> Reply:
        if fault is FaultKind.THROTTLED:
            return jsonapi.error_reply(
                429, [jsonapi.throttled_error(1)], self._media, [(b"retry-after", b"1")]
            )
        if fault is FaultKind.THROTTLED_NO_RETRY_AFTER:
            # As Klaviyo answered in March 2023: no Retry-After, and "0 seconds" in the detail.
            return jsonapi.error_reply(429, [jsonapi.throttled_error(0)], self._media)
        status = {
            FaultKind.SERVER_ERROR: 500,
            FaultKind.UNAVAILABLE: 503,
            FaultKind.GATEWAY_TIMEOUT: 504,
        }[fault]
        return jsonapi.error_reply(status, [jsonapi.server_error(status)], self._media)

    # -- /sandbox/ inspection -----------------------------------------------------------------

    def _inspect(self, path: str, method: str, scope: Scope) -> Reply:
        if path == "/sandbox/events":
            if method == "GET":
                limit, problem = _limit_param(scope.get("query_string", b""))
                if problem is not None:
                    return jsonapi.error_reply(400, [problem], self._media)
                events = self.events(limit)
                return jsonapi.json_reply(
                    200,
                    {
                        "count": len(self.recorder),
                        "events": [e.to_json() for e in events],
                    },
                )
            if method == "DELETE":
                return jsonapi.json_reply(200, {"cleared": self.recorder.clear()})
            return self._inspection_405(method, "GET, DELETE")
        if path == "/sandbox/stats":
            if method == "GET":
                return jsonapi.json_reply(200, self.stats_json())
            return self._inspection_405(method, "GET")
        if path == "/sandbox/reset":
            if method == "POST":
                self.reset()
                return jsonapi.json_reply(200, {"reset": True})
            return self._inspection_405(method, "POST")
        return jsonapi.error_reply(404, [jsonapi.not_found_error(path)], self._media)

    def _inspection_405(self, method: str, allowed: str) -> Reply:
        return jsonapi.error_reply(
            405,
            [jsonapi.method_not_allowed_error(method, allowed)],
            self._media,
            [(b"allow", allowed.encode("ascii"))],
        )


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    """A new sandbox with its own state. Serve it with uvicorn (composer.sandbox.server) or
    use it in-process through ``httpx.ASGITransport(app=create_app())``."""
    return SandboxApp(config)


# -- helpers ----------------------------------------------------------------------------------


def _api_key(header: bytes | None) -> tuple[str | None, ApiError | None]:
    """The private key of an Authorization header, or the 401 error that refuses it.

    Messages never repeat the key: it is a secret.
    """
    if header is None or not header.strip():
        return None, jsonapi.not_authenticated_error()
    text = header.decode("latin-1").strip()
    scheme, _, key = text.partition(" ")
    if scheme.lower() != _AUTH_SCHEME:
        return None, jsonapi.authentication_failed_error(
            "The Authorization header must start with 'Klaviyo-API-Key' followed by a space "
            "and your private API key."
        )
    key = key.strip()
    if not _KEY_RE.fullmatch(key):
        return None, jsonapi.authentication_failed_error(
            "The API key after 'Klaviyo-API-Key' must be a private key: 'pk_' followed by "
            "letters and digits (a public site ID or other text will not do)."
        )
    return key, None


def _media_type_error(headers: dict[bytes, bytes], revision: Revision) -> ApiError | None:
    raw = headers.get(b"content-type")
    media = raw.decode("latin-1").split(";", 1)[0].strip().lower() if raw else ""
    # JSON:API's own media type is taken at every revision (Klaviyo answers in it even where
    # the spec names application/json); from 2024-10-15 on it is the only one.
    if media not in (revision.content_type, JSONAPI_MEDIA_TYPE):
        error = jsonapi.unsupported_media_type_error(media or "(none)", revision.content_type)
        return dataclasses.replace(
            error, detail=f"{error.detail} (revision {revision.name} takes only this type)"
        )
    encoding = headers.get(b"content-encoding")
    if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
        return ApiError(
            "unsupported_media_type",
            "Unsupported content encoding.",
            f"Content-Encoding {encoding.decode('latin-1')!r} is not supported; send the "
            "body uncompressed.",
        )
    return None


def _events_path_error(path: str, revision: Revision) -> ApiError | None:
    if path == revision.path:
        return None
    return ApiError(
        "not_found",
        "Not found.",
        f"{path} does not exist at revision {revision.name}: Create Event is POST "
        f"{revision.path} there"
        + (" (with the trailing slash)" if revision.path.endswith("/") else " (no trailing slash)")
        + ".",
    )


class Recording(Enum):
    """What became of one accepted event."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    DROPPED = "dropped"


class _BodyOutcome(Enum):
    READ = "read"
    TOO_LARGE = "too large"
    GONE = "client gone"


async def _read_body(
    headers: dict[bytes, bytes], receive: Receive, limit: int
) -> tuple[bytes, _BodyOutcome]:
    declared = headers.get(b"content-length")
    if (
        declared is not None
        and _ASCII_DIGITS.fullmatch(declared)
        and (len(declared) > 15 or int(declared) > limit)
    ):
        return b"", _BodyOutcome.TOO_LARGE
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", _BodyOutcome.GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", _BodyOutcome.TOO_LARGE
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), _BodyOutcome.READ


def _rate_headers(verdict: Verdict) -> Headers:
    return [
        (b"ratelimit-limit", str(verdict.limit).encode("ascii")),
        (b"ratelimit-remaining", str(verdict.remaining).encode("ascii")),
        (b"ratelimit-reset", str(verdict.reset_seconds).encode("ascii")),
    ]


def _limit_param(query: bytes) -> tuple[int | None, ApiError | None]:
    """``?limit=N``: ASCII digits only (``int()`` would also take "²" or "٣" and then fail or
    mean something else), at most 9 of them; anything else is a 400 naming the parameter."""
    values = parse_qs(query.decode("latin-1"), keep_blank_values=True).get("limit")
    if not values:
        return None, None
    value = values[-1]
    if len(values) == 1 and re.fullmatch(r"[0-9]{1,9}", value, re.ASCII):
        return int(value), None
    shown = value if len(value) <= 20 else value[:20] + "..."
    return None, jsonapi.invalid_parameter_error(
        "limit",
        f"limit must be given once, as a whole number of at most 9 digits (0-9), "
        f"not {shown!r}: e.g. /sandbox/events?limit=10",
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
