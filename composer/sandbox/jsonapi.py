"""Klaviyo's JSON:API error bodies, and the small response value the sandbox app sends.

Klaviyo's API is built on Django REST framework: its error ``code`` and ``title`` values
(``invalid`` / "Invalid input.", ``throttled`` / "Request was throttled.") are DRF's defaults,
so where no real Klaviyo body is on record the sandbox uses DRF's code and title for the same
situation (``not_authenticated``, ``authentication_failed``, ``permission_denied``,
``method_not_allowed``, ``unsupported_media_type``, ``parse_error``, ``not_found``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from composer.domain.findings import Finding
from composer.domain.rule_ids import is_syntax

Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class Reply:
    """One HTTP response: status, raw headers and body."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class ApiError:
    """One member of ``errors[]``."""

    code: str
    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self, status: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "status": status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        }
        source: dict[str, str] = {}
        if self.pointer is not None:
            source["pointer"] = self.pointer
        if self.parameter is not None:
            source["parameter"] = self.parameter
        if source:
            out["source"] = source
        out["meta"] = self.meta
        return out


def encode_json(value: Any, *, indent: int | None = None) -> bytes:
    """UTF-8 JSON that is always valid: never NaN/Infinity (ValueError instead: a bug) and a
    lone surrogate in a string written as its ``\\udXXX`` escape instead of failing."""
    separators = (",", ":") if indent is None else None
    text = json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )
    # Surrogates can only sit inside JSON strings, where backslashreplace gives a JSON escape.
    return text.encode("utf-8", "backslashreplace")


def error_document(status: int, errors: list[ApiError]) -> bytes:
    """The bytes of ``{"errors": [...]}``."""
    return encode_json({"errors": [e.to_json(status) for e in errors]})


def error_reply(
    status: int, errors: list[ApiError], media_type: str, headers: Headers | None = None
) -> Reply:
    """A JSON:API error response: ``{"errors": [...]}`` with one entry per error."""
    body = error_document(status, errors)
    out: Headers = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if headers:
        out.extend(headers)
    return Reply(status, out, body)


def json_reply(status: int, value: Any, headers: Headers | None = None) -> Reply:
    """A plain JSON response (the /sandbox/ inspection endpoints)."""
    body = encode_json(value, indent=1)
    out: Headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if headers:
        out.extend(headers)
    return Reply(status, out, body)


# The titles below are DRF's default details for the matching exception (see module docstring).
INVALID_TITLE = "Invalid input."
THROTTLED_TITLE = "Request was throttled."


def findings_errors(errors: list[Finding]) -> list[ApiError]:
    """One JSON:API error per ERROR finding: ``parse_error`` for JSON syntax (with its line and
    column), else ``invalid``, each with the finding's pointer."""
    if any(is_syntax(f.rule) for f in errors):
        return [
            ApiError(
                "parse_error",
                "Malformed request.",
                f.message,
                pointer=f.pointer,
                meta={"line": f.line, "column": f.column} if f.line is not None else {},
            )
            for f in errors
        ]
    return [ApiError("invalid", INVALID_TITLE, f.message, pointer=f.pointer) for f in errors]


def throttled_error(wait_seconds: int) -> ApiError:
    """429 ``throttled``; the detail carries the wait, as Klaviyo's does."""
    return ApiError(
        "throttled",
        THROTTLED_TITLE,
        f"Request was throttled. Expected available in {wait_seconds} seconds.",
        pointer="/data/",
    )


def not_authenticated_error() -> ApiError:
    return ApiError(
        "not_authenticated",
        "Authentication credentials were not provided.",
        "Authentication credentials were not provided. Send the header "
        "'Authorization: Klaviyo-API-Key <your private API key>'.",
    )


def authentication_failed_error(reason: str) -> ApiError:
    return ApiError(
        "authentication_failed",
        "Incorrect authentication credentials.",
        f"Incorrect authentication credentials. {reason}",
    )


def permission_denied_error() -> ApiError:
    return ApiError(
        "permission_denied",
        "You do not have permission to perform this action.",
        "You do not have permission to perform this action. Create Event needs an API key "
        "with the Events Write scope (events:write).",
    )


def method_not_allowed_error(method: str, allowed: str) -> ApiError:
    title = f'Method "{method}" not allowed.'
    return ApiError("method_not_allowed", title, f"{title} This path allows {allowed}.")


def unsupported_media_type_error(media_type: str, expected: str) -> ApiError:
    title = f'Unsupported media type "{media_type}" in request.'
    return ApiError("unsupported_media_type", title, f"{title} Send Content-Type: {expected}.")


def not_found_error(path: str) -> ApiError:
    return ApiError(
        "not_found",
        "Not found.",
        f"Not found: {path!r} is not a path of this API. Create Event is POST /api/events "
        "(/api/events/ up to revision 2024-07-15).",
    )


def invalid_parameter_error(parameter: str, detail: str) -> ApiError:
    return ApiError("invalid", INVALID_TITLE, detail, parameter=parameter)


def request_timeout_error(what: str, seconds: float) -> ApiError:
    return ApiError(
        "request_timeout",
        "Request timeout.",
        f"The request's {what} did not arrive within {seconds:g} seconds; the connection is "
        "closed. Send the whole request at once (check that Content-Length matches the body).",
    )


def malformed_http_error() -> ApiError:
    return ApiError(
        "parse_error",
        "Malformed request.",
        "The request is not valid HTTP/1.1 (request line, headers or body framing); the "
        "connection is closed.",
    )


def too_many_connections_error(limit: int) -> ApiError:
    return ApiError(
        "service_unavailable",
        "Service unavailable.",
        f"The sandbox serves at most {limit} connections at once; close idle connections "
        "or try again shortly.",
    )


def internal_error() -> ApiError:
    return ApiError(
        "error",
        "A server error occurred.",
        "The sandbox hit an unexpected error while answering this request: a bug in the "
        "sandbox, not in the request.",
    )


def server_error(status: int) -> ApiError:
    """The bodies of injected 5xx answers."""
    if status == 503:
        return ApiError(
            "service_unavailable",
            "Service unavailable.",
            "Service temporarily unavailable, try again later.",
        )
    if status == 504:
        return ApiError(
            "gateway_timeout",
            "Gateway timeout.",
            "The server did not answer in time; the request may have been processed.",
        )
    return ApiError("error", "A server error occurred.", "A server error occurred.")
