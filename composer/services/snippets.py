"""Copy as Python: a recorded request rewritten as a script a developer can run.

Copy as cURL is the history's own export (composer.storage.exports.curl_command). The key is
never in a snippet: it is read from ``$KLAVIYO_API_KEY`` in the environment.

A snippet is data, never code: every value from the history (method, URL, header names and
values, body) enters it only as a Python literal written by ``repr`` (strings, bytes, and for
the SDK the dict/list/str/int/float/bool/None of the parsed body), and every comment is fixed
text. One function per form (``as_python_httpx``, ``as_python_sdk``), joined by ``as_python``.

Per revision (the request's ``revision`` header, when it names a revision this app knows): the
SDK form pins the klaviyo-api release that speaks it (``Revision.sdk_version``) and passes the
body in that revision's shape (converted when it was recorded in the other one); a Create
Event request recorded at the wrong path or content type for its revision (an imported one,
say) gets the revision's own in the httpx form.
"""

from __future__ import annotations

import json
import math
import pprint
from typing import Any

from composer.domain.convert import convert
from composer.domain.outcome import RequestRecord
from composer.domain.revisions import REVISIONS, Revision
from composer.storage.exports import comment_text, header_problem

KEY_PLACEHOLDER = "$KLAVIYO_API_KEY"
_SKIP_HEADERS = {"content-length", "host", "accept-encoding", "connection", "user-agent"}


def _body_json(request: RequestRecord) -> Any | None:
    """The parsed body, or None when it is not JSON."""
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _only_json_values(value: Any) -> bool:
    """True when ``value`` holds nothing a Python literal and JSON cannot both express
    (NaN and infinities, which Python's json module reads but Klaviyo's JSON does not)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _headers(request: RequestRecord, left_out: list[str] | None = None) -> list[tuple[str, str]]:
    """The headers to send again; one that cannot be sent as recorded is left out (and said in
    ``left_out``). Blanks around a value are not part of it in HTTP, so they are dropped."""
    out = []
    for name, raw in request.headers:
        if name.lower() in _SKIP_HEADERS:
            continue
        value = raw.strip(" \t")
        problem = header_problem(name, value)
        if problem:
            if left_out is not None:
                left_out.append(f"# left out: {comment_text(problem)}")
            continue
        safe = f"Klaviyo-API-Key {KEY_PLACEHOLDER}" if name.lower() == "authorization" else value
        out.append((name, safe))
    if not any(n.lower() == "authorization" for n, _ in out):
        out.insert(0, ("Authorization", f"Klaviyo-API-Key {KEY_PLACEHOLDER}"))
    return out


def revision_of(request: RequestRecord) -> Revision | None:
    """The revision the request's ``revision`` header names, if this app knows it."""
    for name, value in request.headers:
        if name.lower() == "revision":
            return REVISIONS.get(value.strip())
    return None


_EVENTS_PATHS = ("/api/events/", "/api/events")


def _url_for(request: RequestRecord, rev: Revision | None) -> str:
    """The recorded URL, with the revision's own Create Event path when it used the other."""
    url = request.url
    if rev is None:
        return url
    base, sep, query = url.partition("?")
    for path in _EVENTS_PATHS:
        if base.endswith(path) and path != rev.path:
            return base[: -len(path)] + rev.path + sep + query
    return url


def as_python_httpx(request: RequestRecord) -> str:
    """A short httpx script sending the same bytes (a text body as a str, else as bytes),
    to the path and with the content type of the request's revision."""
    rev = revision_of(request)
    url = _url_for(request, rev)
    left_out: list[str] = []
    headers = {n: v for n, v in _headers(request, left_out) if n.lower() != "authorization"}
    if rev is not None and _is_events(url):
        for name in list(headers):
            if name.lower() in ("content-type", "accept"):
                del headers[name]
        headers["Accept"] = rev.content_type
        headers["Content-Type"] = rev.content_type
    try:
        body: str | bytes = request.body.decode("utf-8")
        content = "body.encode()"
    except UnicodeDecodeError:
        body, content = request.body, "body"
    return "\n".join(
        [
            *left_out,
            "import os",
            "",
            "import httpx",
            "",
            f"headers = {headers!r}",
            'headers["Authorization"] = "Klaviyo-API-Key " + os.environ["KLAVIYO_API_KEY"]',
            f"body = {body!r}",
            f"response = httpx.request({request.method!r}, {url!r}, headers=headers, "
            f"content={content})",
            "print(response.status_code, response.text)",
            "",
        ]
    )


def _is_events(url: str) -> bool:
    return url.partition("?")[0].endswith(_EVENTS_PATHS)


def sdk_requirement(request: RequestRecord) -> str:
    """What to pip install for the SDK form: the release that speaks the request's revision."""
    rev = revision_of(request)
    return f"klaviyo-api=={rev.sdk_version}" if rev is not None else "klaviyo-api"


def as_python_sdk(request: RequestRecord) -> str:
    """The same event through Klaviyo's Python SDK (klaviyo-api), whose release pins the
    revision it sends: the one that speaks the request's revision, with the body in that
    revision's shape. A body the SDK cannot send (not JSON, or NaN/Infinity) gets a comment
    saying so instead of a call."""
    payload = _body_json(request)
    rev = revision_of(request)
    if rev is not None and payload is not None:
        payload = convert(payload, rev.name).body
    body = None
    if payload is not None and _only_json_values(payload):
        try:
            # pformat gives a Python literal (True/None), unlike the JSON text
            body = pprint.pformat(payload, width=88, sort_dicts=False)
        except RecursionError:  # nested deeper than pformat goes
            body = None
    if body is None:
        return (
            "# The recorded body is not a JSON document the SDK can send (it is not JSON, is\n"
            "# nested too deep, or holds NaN or Infinity); the httpx form repeats it as it is.\n"
        )
    pin = (
        [f"# klaviyo-api {rev.sdk_version} sends revision {rev.name} ({rev.shape.value} body)"]
        if rev is not None
        else []
    )
    return "\n".join(
        [
            *pin,
            "import os",
            "",
            "from klaviyo_api import KlaviyoAPI",
            "",
            'klaviyo = KlaviyoAPI(os.environ["KLAVIYO_API_KEY"], max_delay=60, max_retries=3)',
            f"body = {body}",
            "klaviyo.Events.create_event(body)",
            "",
        ]
    )


def as_python(request: RequestRecord) -> str:
    """Both Python forms, httpx first, ready for the clipboard."""
    return (
        "# With httpx (the exact request):\n"
        + as_python_httpx(request)
        + f"\n# With Klaviyo's SDK (pip install {sdk_requirement(request)}):\n"
        + as_python_sdk(request)
    )
