"""Requests and outcomes shaped like the ones the send path records."""

from __future__ import annotations

import json
from typing import Any

from composer.domain.findings import Finding, Severity
from composer.domain.outcome import (
    Attempt,
    RateLimitInfo,
    RequestRecord,
    SendOutcome,
    TransportError,
    TransportErrorKind,
)
from composer.storage.records import PlainContext

URL = "https://a.klaviyo.com/api/events/"


def body(
    email: str = "ann.lee@example.com", metric: str = "Viewed Product", **properties: Any
) -> bytes:
    props = properties or {"ProductName": "Winnie the Pooh", "Price": 9.99}
    return json.dumps(
        {
            "data": {
                "type": "event",
                "attributes": {
                    "profile": {"$email": email},
                    "metric": {"name": metric},
                    "properties": props,
                },
            }
        },
        indent=2,
    ).encode()


def request(payload: bytes | None = None, *, auth: str = "Klaviyo-API-Key ***") -> RequestRecord:
    return RequestRecord(
        "POST",
        URL,
        (
            ("Authorization", auth),
            ("revision", "2023-01-24"),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ),
        payload if payload is not None else body(),
    )


def context(
    target: str = "production",
    metric: str | None = "Viewed Product",
    profile: str | None = "ann.lee@example.com",
) -> PlainContext:
    return PlainContext(target, "Staging", "2023-01-24", metric, profile)


def accepted(req: RequestRecord) -> SendOutcome:
    return SendOutcome(
        request=req,
        status=202,
        response_headers=(("content-length", "0"),),
        response_body=b"",
        attempts=(Attempt(1, 202, None, 41.5),),
        total_ms=41.5,
        rate_limit=RateLimitInfo(3500, 3499, 60.0),
    )


def rejected(req: RequestRecord, detail: str = "The email address is not valid.") -> SendOutcome:
    error_body = json.dumps(
        {
            "errors": [
                {
                    "id": "e1",
                    "status": 400,
                    "code": "invalid",
                    "title": "Invalid input.",
                    "detail": detail,
                    "source": {"pointer": "/data/attributes/profile/$email"},
                }
            ]
        }
    ).encode()
    finding = Finding(
        "/data/attributes/profile/$email", Severity.ERROR, "invalid", detail, source="server"
    )
    return SendOutcome(
        request=req,
        status=400,
        response_headers=(("content-type", "application/vnd.api+json"),),
        response_body=error_body,
        findings=(finding,),
        attempts=(Attempt(1, 400, None, 30.0),),
        total_ms=30.0,
    )


def server_error(req: RequestRecord) -> SendOutcome:
    return SendOutcome(
        request=req,
        status=503,
        response_body=b'{"errors": []}',
        attempts=(Attempt(1, 503, None, 10.0), Attempt(2, 503, None, 12.0, 500.0)),
        total_ms=522.0,
    )


def refused(req: RequestRecord) -> SendOutcome:
    err = TransportError(TransportErrorKind.REFUSED, "connection refused")
    return SendOutcome(request=req, error=err, attempts=(Attempt(1, None, err, 1.0),), total_ms=1.0)
