"""Copy as Python: a recorded request rewritten as a script a developer can run.

Copy as cURL is the history's own export (composer.storage.exports.curl_command). The key is
never in a snippet: it is read from ``$KLAVIYO_API_KEY`` in the environment."""

from __future__ import annotations

import json
import pprint
from typing import Any

from composer.domain.outcome import RequestRecord

KEY_PLACEHOLDER = "$KLAVIYO_API_KEY"
_SKIP_HEADERS = {"content-length", "host", "accept-encoding", "connection", "user-agent"}


def _body_json(request: RequestRecord) -> Any | None:
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _headers(request: RequestRecord) -> list[tuple[str, str]]:
    out = []
    for name, value in request.headers:
        if name.lower() in _SKIP_HEADERS:
            continue
        safe = f"Klaviyo-API-Key {KEY_PLACEHOLDER}" if name.lower() == "authorization" else value
        out.append((name, safe))
    if not any(n.lower() == "authorization" for n, _ in out):
        out.insert(0, ("Authorization", f"Klaviyo-API-Key {KEY_PLACEHOLDER}"))
    return out


def as_python_httpx(request: RequestRecord) -> str:
    """A short httpx script sending the same bytes."""
    headers = {n: v for n, v in _headers(request) if n.lower() != "authorization"}
    body = request.body.decode("utf-8", "replace")
    return "\n".join(
        [
            "import os",
            "",
            "import httpx",
            "",
            f"headers = {headers!r}",
            'headers["Authorization"] = "Klaviyo-API-Key " + os.environ["KLAVIYO_API_KEY"]',
            f"body = {body!r}",
            f"response = httpx.request({request.method!r}, {request.url!r}, headers=headers, "
            "content=body.encode())",
            "print(response.status_code, response.text)",
            "",
        ]
    )


def as_python_sdk(request: RequestRecord) -> str:
    """The same event through Klaviyo's Python SDK (klaviyo-api), which sends the revision
    it was built for."""
    payload = _body_json(request)
    # pformat gives a Python literal (True/None), unlike the JSON text
    body = pprint.pformat(payload, width=88, sort_dicts=False) if payload is not None else "{}"
    return "\n".join(
        [
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
        + "\n# With Klaviyo's SDK (pip install klaviyo-api):\n"
        + as_python_sdk(request)
    )
