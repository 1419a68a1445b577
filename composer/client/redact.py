"""A key a server echoes back (in a header or a body) is replaced before the outcome leaves the
client, so the history, exports, printed output and the window never see it.

Every response of every send passes through :meth:`EventClient._outcome`, which applies
:class:`KeyRedactor` to the headers, the body (and so the findings parsed from it) and the
error messages. Besides the key as written, a JSON body that spells it with escapes
(``\\u0070k_...``, which a JSON viewer would decode back into the key) is rewritten with the
placeholder too."""

from __future__ import annotations

import json
from typing import Any

KEY_PLACEHOLDER = "[API key removed]"
"""What stands where a server echoed the key (valid inside a JSON string and a header)."""

_MAX_JSON_SCAN = 4 * 1024 * 1024


class KeyRedactor:
    """Replaces one secret in texts and bodies. An empty secret replaces nothing."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._secret_bytes = secret.encode("utf-8")
        self._placeholder_bytes = KEY_PLACEHOLDER.encode("utf-8")

    def __repr__(self) -> str:  # the secret must never reach a log through repr()
        return "KeyRedactor(***)"

    def text(self, value: str) -> str:
        """``value`` with every occurrence of the secret replaced."""
        if not self._secret or self._secret not in value:
            return value
        return value.replace(self._secret, KEY_PLACEHOLDER)

    def headers(self, headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((self.text(k), self.text(v)) for k, v in headers)

    def body(self, body: bytes) -> bytes:
        """``body`` with the secret replaced, also where a JSON body hides it in escapes."""
        if not self._secret or not body:
            return body
        out = body.replace(self._secret_bytes, self._placeholder_bytes)
        if b"\\" in out and len(out) <= _MAX_JSON_SCAN:
            rewritten = self._json_body(out)
            if rewritten is not None:
                return rewritten
        return out

    def _json_body(self, body: bytes) -> bytes | None:
        """The JSON document re-written with the placeholder when one of its decoded strings
        holds the secret; None when it is not JSON or holds no secret."""
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            return None
        found = [False]

        def walk(node: Any) -> Any:
            if isinstance(node, str):
                if self._secret in node:
                    found[0] = True
                    return node.replace(self._secret, KEY_PLACEHOLDER)
                return node
            if isinstance(node, list):
                return [walk(item) for item in node]
            if isinstance(node, dict):
                return {walk(k): walk(v) for k, v in node.items()}
            return node

        try:
            cleaned = walk(doc)
        except RecursionError:
            return None
        if not found[0]:
            return None
        return json.dumps(cleaned, ensure_ascii=False).encode("utf-8", "surrogatepass")
