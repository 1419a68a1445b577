"""History exports: HAR 1.2, NDJSON (one Create Event body per line, re-playable by
`event-composer replay`), and cURL commands with the key as the ``$KLAVIYO_API_KEY`` placeholder.

None of them can carry a key: entries hold Authorization redacted, and the cURL export writes the
header with a shell variable the user sets. None of them is code either: whatever a value
holds, it stays data (JSON strings, single-quoted shell words, escaped comments).
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from composer import __version__
from composer.domain.jsontext import loads as strict_loads
from composer.storage.records import HistoryEntry, attempts_to_json

FORMATS = ("har", "ndjson", "curl")
KEY_VARIABLE = "KLAVIYO_API_KEY"
# Headers a cURL command should not pin: curl computes them, or they describe one connection.
_CURL_SKIP = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "authorization",
    "transfer-encoding",
    "expect",
}
_DATA_RAW_LIMIT = 64 * 1024
"""Bodies above this go through printf (a shell builtin), not one argument of curl's: the
kernel limits a single argument to 128 kB."""


def write(fmt: str, entries: Iterable[HistoryEntry], out: TextIO) -> int:
    """Write ``entries`` to ``out`` in ``fmt``; returns how many entries were written."""
    if fmt == "har":
        return write_har(entries, out)
    if fmt == "ndjson":
        return write_ndjson(entries, out)
    if fmt == "curl":
        return write_curl(entries, out)
    raise ValueError(f"export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}")


def json_text(value: Any, **options: Any) -> str:
    """JSON as readable UTF-8 text; where a string holds a lone surrogate (UTF-8 cannot carry
    it), the whole value is written with ``\\u`` escapes instead, so it stays the same data."""
    text = json.dumps(value, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, **options)
    return text


# -- NDJSON ----------------------------------------------------------------------------------


def ndjson_line(entry: HistoryEntry) -> str | None:
    """The entry's request body as one compact JSON line, or None when it is not JSON."""
    try:
        payload = strict_loads(entry.request.body.decode("utf-8"))
    except ValueError:
        return None
    return json_text(payload, separators=(",", ":"))


def write_ndjson(entries: Iterable[HistoryEntry], out: TextIO) -> int:
    written = 0
    for entry in entries:
        line = ndjson_line(entry)
        if line is not None:
            out.write(line + "\n")
            written += 1
    return written


# -- cURL ------------------------------------------------------------------------------------
#
# The script is data, never code: every value from the history is either checked against the
# grammar HTTP gives it (method, header name: tokens; URL and header value: no control
# characters), single-quoted by shlex.quote, or written into a comment with every character
# that could end the comment or fool a terminal escaped. A body that a shell argument cannot
# carry (NUL bytes, bytes that are not UTF-8, over 64 kB) or that holds characters a reader would
# not see as themselves (terminal escapes, bidi overrides, CR) goes through printf with octal
# escapes, so the script shows exactly what it does, on screen too. curl itself
# is told to read no ~/.curlrc (--disable), to expand no {a,b}/[1-3] globs (--globoff), to keep
# /../ in paths (--path-as-is), and gets the URL after --url so it can never be read as an option.

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSEEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Characters a reader cannot see as they are (controls, terminal escapes, bidi overrides, line
separators, surrogates, unassigned): never written raw into a script."""


def comment_text(value: str) -> str:
    """``value`` made safe inside a ``#`` comment: line breaks, control and format characters
    (terminal escapes, bidi overrides) are written as ``\\n``, ``\\x1b``, ``\\u202e``..."""
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in _UNSEEN_CATEGORIES:
            out.append(repr(char)[1:-1] if char.isascii() else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "the URL is not an http(s) URL"
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in url):
        return "the URL holds spaces, control or non-ASCII characters"
    return None


def header_problem(name: str, value: str) -> str | None:
    """Why a recorded header cannot be sent again as it is (None when it can)."""
    if not _TOKEN.fullmatch(name):
        return f"the header name '{name}' is not an HTTP token"
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
        return f"the value of header '{name}' holds line breaks or control characters"
    if not value.isascii():
        # curl would send UTF-8 where HTTP reads Latin-1: not the recorded value
        return f"the value of header '{name}' is not ASCII"
    return None


def _all_visible(text: str) -> bool:
    """True when ``text`` can be written into the script as it is: line breaks and tabs, and
    no character a reader (or a terminal showing the script) would not see as itself."""
    return all(c in "\n\t" or unicodedata.category(c) not in _UNSEEN_CATEGORIES for c in text)


def _printf_format(body: bytes) -> str:
    """A printf format that writes exactly ``body``: printable ASCII as is, every other byte
    (and ``\\``, ``%``, ``'``, and a leading ``-`` that printf would take for an option) as a
    three-digit octal escape."""
    out = []
    for index, byte in enumerate(body):
        char = chr(byte)
        if 0x20 <= byte < 0x7F and char not in "\\%'" and not (index == 0 and char == "-"):
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def curl_command(entry: HistoryEntry, key_variable: str = KEY_VARIABLE) -> str:
    """A POSIX-shell cURL command that repeats the request (method, URL and body byte for
    byte); the key comes from the environment variable ``key_variable`` (never written out).
    A request that cannot be repeated faithfully becomes a comment saying why."""
    req = entry.request
    if not _TOKEN.fullmatch(req.method):
        return f"# not exported: the method {comment_text(req.method)!s} is not an HTTP method"
    problem = _url_problem(req.url)
    if problem:
        return f"# not exported: {comment_text(problem)}: {comment_text(req.url)}"
    notes: list[str] = []
    parts = [
        "curl --disable --globoff --path-as-is",
        f"--request {shlex.quote(req.method)} --url {shlex.quote(req.url)}",
        f'--header "Authorization: Klaviyo-API-Key ${key_variable}"',
    ]
    for name, value in req.headers:
        if name.lower() in _CURL_SKIP:
            continue
        problem = header_problem(name, value)
        if problem:
            notes.append(f"# left out: {comment_text(problem)}")
            continue
        # "Name:" alone would make curl drop the header; "Name;" sends it empty
        parts.append("--header " + shlex.quote(f"{name}: {value}" if value else f"{name};"))
    head = "".join(note + "\n" for note in notes)
    if not req.body:
        return head + " \\\n  ".join(parts)
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and len(req.body) <= _DATA_RAW_LIMIT and _all_visible(text):
        parts.append("--data-raw " + shlex.quote(text))
        return head + " \\\n  ".join(parts)
    parts.append("--data-binary @-")
    printf = f"printf {shlex.quote(_printf_format(req.body))} |"
    return head + printf + "\n  " + " \\\n  ".join(parts)


def write_curl(entries: Iterable[HistoryEntry], out: TextIO) -> int:
    out.write("#!/bin/sh\n")
    out.write(f"# Requests exported from the Event Composer history. Set {KEY_VARIABLE} to the\n")
    out.write("# account's private API key before running them.\n")
    written = 0
    for entry in entries:
        row = entry.row
        when = row.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        out.write(
            f"\n# entry {row.id}, {when}, {comment_text(row.target)}: "
            f"{comment_text(row.status_text)}\n"
        )
        for note in entry.notes or ():
            out.write(f"# note: {comment_text(note)}\n")
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
    import http  # here: its HTTPStatus enum is slow to build (the window imports this module)

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
            # null: not known (recorded before the history kept notes, or no outcome)
            "notes": None if entry.notes is None else list(entry.notes),
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
        out.write(json_text(har_entry(entry)))
        written += 1
    out.write("\n]}}\n")
    return written
