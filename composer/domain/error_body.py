"""Klaviyo's JSON:API error bodies (``{"errors": [...]}``) read into findings."""

from __future__ import annotations

from typing import Any

from composer.domain.findings import Finding, Severity
from composer.domain.jsontext import loads

_TITLES_FOR_STATUS = {
    400: "Bad request",
    401: "Not authorized: the API key is missing or not valid",
    403: "Forbidden: the API key lacks a scope this call needs (Events Write)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone: this API revision or endpoint no longer exists",
    413: "Request too large: Klaviyo accepts bodies of at most 5 MB",
    415: "Unsupported media type: Content-Type must be application/json",
    429: "Rate limited",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def status_title(status: int) -> str:
    """A short meaning of an HTTP status, in words a marketer understands."""
    title = _TITLES_FOR_STATUS.get(status)
    if title is None:
        try:
            import http  # here: its HTTPStatus enum is slow to build, and rarely needed

            title = http.HTTPStatus(status).phrase  # what an unlisted status is, in words
        except ValueError:
            title = "Error" if status >= 400 else "OK"
    return title


def parse_error_body(body: bytes | str | None, status: int | None = None) -> list[Finding]:
    """Findings from an error response body; never raises.

    Tolerates extra keys, missing ``source``, ``status`` as string or number, and bodies that
    are not JSON at all (HTML from a proxy, plain text): those give one finding that quotes the
    start of the body.
    """
    if body is None:
        return []
    if isinstance(body, bytes | bytearray):
        text = bytes(body).decode("utf-8", "replace")
    else:
        text = body
    if not text.strip():
        return []
    try:
        doc: Any = loads(text)
    except ValueError:
        doc = None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list) or not errors:
        return [_opaque(text, status)]
    findings = []
    for item in errors:
        if isinstance(item, dict):
            findings.append(_from_error(item, status))
        else:
            findings.append(
                Finding(
                    "",
                    Severity.ERROR,
                    "server-error",
                    f"the server said: {str(item)[:300]}",
                    source="server",
                )
            )
    return findings


def _from_error(item: dict[str, Any], status: int | None) -> Finding:
    source = item.get("source") if isinstance(item.get("source"), dict) else {}
    assert isinstance(source, dict)
    ptr = source.get("pointer")
    parameter = source.get("parameter")
    ptr_text = ptr if isinstance(ptr, str) else ""
    if ptr_text.endswith("/") and ptr_text != "/":
        ptr_text = ptr_text.rstrip("/")  # Klaviyo writes "/data/" for the data member
    code = item.get("code")
    title = item.get("title")
    detail = item.get("detail")
    parts = [str(p) for p in (title, detail) if isinstance(p, str) and p]
    if parts and len(parts) == 2 and parts[1].startswith(parts[0].rstrip(".")):
        parts = parts[1:]
    message = " ".join(parts) or status_title(int(status or 0))
    if isinstance(parameter, str):
        message = f"parameter {parameter}: {message}"
    meta: dict[str, Any] = {}
    for key in ("id", "status", "code", "title", "detail"):
        if key in item:
            meta[key] = item[key]
    if isinstance(parameter, str):
        meta["parameter"] = parameter
    if isinstance(item.get("meta"), dict) and item["meta"]:
        meta["meta"] = item["meta"]
    return Finding(
        pointer=ptr_text,
        severity=Severity.ERROR,
        rule=f"server-{code}" if isinstance(code, str) and code else "server-error",
        message=message,
        source="server",
        meta=meta,
    )


def _opaque(text: str, status: int | None) -> Finding:
    snippet = " ".join(text.split())[:200]
    lowered = text.lower()
    if "<html" in lowered or "<!doctype" in lowered:
        what = "an HTML page, not Klaviyo's JSON (a proxy, firewall or bot check answered)"
    else:
        what = "a body that is not Klaviyo's JSON error format"
    title = status_title(status) if status else "Error"
    return Finding(
        "",
        Severity.ERROR,
        "server-unparsed",
        f"{title}: the server sent {what}: {snippet}",
        source="server",
    )
