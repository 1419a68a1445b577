"""History exports: HAR 1.2, NDJSON (one Create Event body per line, re-playable by
`event-composer replay`), and cURL commands with the key as the ``$KLAVIYO_API_KEY`` placeholder.

None of them can carry a key: entries hold Authorization redacted, and the cURL export writes the
header with a shell variable the user sets.
"""

from __future__ import annotations

import http
import json
import shlex
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from composer import __version__
from composer.domain.jsontext import loads as strict_loads
from composer.storage.records import HistoryEntry, attempts_to_json

FORMATS = ("har", "ndjson", "curl")
KEY_VARIABLE = "KLAVIYO_API_KEY"
# Headers a cURL command should not pin: curl computes them, or they describe one connection.
_CURL_SKIP = {"host", "content-length", "connection", "accept-encoding", "authorization"}


def write(fmt: str, entries: Iterable[HistoryEntry], out: TextIO) -> int:
    """Write ``entries`` to ``out`` in ``fmt``; returns how many entries were written."""
    if fmt == "har":
        return write_har(entries, out)
    if fmt == "ndjson":
        return write_ndjson(entries, out)
    if fmt == "curl":
        return write_curl(entries, out)
    raise ValueError(f"export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}")


# -- NDJSON ----------------------------------------------------------------------------------


def ndjson_line(entry: HistoryEntry) -> str | None:
    """The entry's request body as one compact JSON line, or None when it is not JSON."""
    try:
        payload = strict_loads(entry.request.body.decode("utf-8"))
    except ValueError:
        return None
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def write_ndjson(entries: Iterable[HistoryEntry], out: TextIO) -> int:
    written = 0
    for entry in entries:
        line = ndjson_line(entry)
        if line is not None:
            out.write(line + "\n")
            written += 1
    return written


# -- cURL ------------------------------------------------------------------------------------


def curl_command(entry: HistoryEntry, key_variable: str = KEY_VARIABLE) -> str:
    """A POSIX-shell cURL command that repeats the request; the key comes from the
    environment variable ``key_variable`` (never written out)."""
    req = entry.request
    parts = [f"curl --request {shlex.quote(req.method)} {shlex.quote(req.url)}"]
    parts.append(f'--header "Authorization: Klaviyo-API-Key ${key_variable}"')
    for name, value in req.headers:
        if name.lower() not in _CURL_SKIP:
            parts.append(f"--header {shlex.quote(f'{name}: {value}')}")
    if req.body:
        parts.append("--data-raw " + shlex.quote(req.body.decode("utf-8", errors="replace")))
    return " \\\n  ".join(parts)


def write_curl(entries: Iterable[HistoryEntry], out: TextIO) -> int:
    out.write("#!/bin/sh\n")
    out.write(f"# Requests exported from the Event Composer history. Set {KEY_VARIABLE} to the\n")
    out.write("# account's private API key before running them.\n")
    written = 0
    for entry in entries:
        row = entry.row
        when = row.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        out.write(f"\n# entry {row.id}, {when}, {row.target}: {row.status_text}\n")
        out.write(curl_command(entry) + "\n")
        written += 1
    return written


# -- HAR 1.2 ---------------------------------------------------------------------------------


def _har_headers(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers]


def _header(headers: Iterable[tuple[str, str]], name: str, default: str) -> str:
    return next((v for k, v in headers if k.lower() == name), default)


def har_entry(entry: HistoryEntry) -> dict[str, Any]:
    """One HAR 1.2 ``entries[]`` item. No response (pending, transport error, imported) is
    status 0 as the HAR spec says; our own fields go under ``_eventComposer``."""
    row, req = entry.row, entry.request
    started = row.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body_text = req.body.decode("utf-8", errors="replace")
    status = row.status or 0
    try:
        status_text = http.HTTPStatus(status).phrase if status else ""
    except ValueError:
        status_text = ""
    resp_text = entry.response_body.decode("utf-8", errors="replace")
    total = row.total_ms or 0.0
    response: dict[str, Any] = {
        "status": status,
        "statusText": status_text,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _har_headers(entry.response_headers),
        "content": {
            "size": len(entry.response_body),
            "mimeType": _header(entry.response_headers, "content-type", "x-unknown"),
            "text": resp_text,
        },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(entry.response_body) if status else -1,
    }
    if entry.error is not None:
        response["_error"] = f"{entry.error.kind.value}: {entry.error.message}"
    return {
        "startedDateTime": started,
        "time": total,
        "request": {
            "method": req.method,
            "url": req.url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _har_headers(req.headers),
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(req.url).query)],
            "postData": {
                "mimeType": _header(req.headers, "content-type", "application/json"),
                "text": body_text,
            },
            "headersSize": -1,
            "bodySize": len(req.body),
        },
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": total, "receive": 0},
        "_eventComposer": {
            "id": row.id,
            "state": row.state,
            "target": row.target,
            "account": row.account,
            "revision": row.revision,
            "findings": [f.to_json() for f in entry.findings],
            "attempts": json.loads(attempts_to_json(entry.attempts)),
        },
    }


def write_har(entries: Iterable[HistoryEntry], out: TextIO) -> int:
    """A HAR 1.2 document. Entries are written one by one so a large export stays small in
    memory."""
    out.write('{"log": {"version": "1.2", "creator": ')
    out.write(json.dumps({"name": "Event Composer", "version": __version__}))
    out.write(', "pages": [], "entries": [\n')
    written = 0
    for entry in entries:
        if written:
            out.write(",\n")
        out.write(json.dumps(har_entry(entry), ensure_ascii=False))
        written += 1
    out.write("\n]}}\n")
    return written
