"""A key a server echoes back (in a header or a body) is replaced before the outcome leaves the
client, so the history, exports, printed output and the window never see it.

Every response of every send passes through :meth:`EventClient._outcome`, which applies
:class:`KeyRedactor` to the headers, the body (and so the findings parsed from it) and the
error messages. It replaces every spelling of the key a server may plausibly echo:

- the key as written;
- a JSON body that spells it with escapes (``\\u0070k_...``, which a JSON viewer would decode
  back into the key): the document is rewritten with the placeholder;
- the key in base64 (standard or URL-safe alphabet, at any alignment inside a longer encoded
  text), as an echoed ``Authorization: Basic ...`` would carry it;
- a fragment of the key: any run of :data:`MIN_FRAGMENT` or more of its characters in a row
  (a server that shows a "truncated" key still shows most of it)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

KEY_PLACEHOLDER = "[API key removed]"
"""What stands where a server echoed the key (valid inside a JSON string and a header)."""

_MAX_JSON_SCAN = 4 * 1024 * 1024

MIN_FRAGMENT = 12
"""The shortest run of the key's own characters (after its public ``pk_`` prefix) that is
taken for an echo of it. Twelve hex digits are 48 bits of the key: more than a server should
show, and long enough that no id or hash in an answer matches one by chance."""

_PUBLIC_PREFIXES = ("pk_",)


class _Spellings:
    """The byte patterns that give the key away, computed once per key."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.encoded = _base64_spellings(secret)
        body = secret
        for prefix in _PUBLIC_PREFIXES:
            if secret.startswith(prefix.encode()):
                body = secret[len(prefix) :]
                break
        self.private_start = len(secret) - len(body)
        # A run of MIN_FRAGMENT key characters holds one of these seeds, each half as long,
        # at a fixed stride: few alternatives, so the search runs at C speed; every hit is
        # then grown to the whole run it belongs to and kept only when long enough.
        self.step = MIN_FRAGMENT // 2
        seeds: dict[bytes, list[int]] = {}
        if len(body) >= MIN_FRAGMENT:
            for start in range(self.private_start, len(secret) - self.step + 1, self.step):
                seeds.setdefault(secret[start : start + self.step], []).append(start)
        self.seeds = seeds
        self.pattern = re.compile(b"|".join(re.escape(seed) for seed in seeds)) if seeds else None

    def fragments(self, data: bytes) -> list[tuple[int, int]]:
        """The (start, end) spans of ``data`` that are runs of at least MIN_FRAGMENT
        characters of the key, merged and in order."""
        if self.pattern is None:
            return []
        secret, spans = self.secret, []
        for match in self.pattern.finditer(data):
            for at in self.seeds[match.group()]:
                left, right = match.start(), match.end()
                key_left, key_right = at, at + self.step
                while left > 0 and key_left > 0 and data[left - 1] == secret[key_left - 1]:
                    left, key_left = left - 1, key_left - 1
                while (
                    right < len(data)
                    and key_right < len(secret)
                    and data[right] == secret[key_right]
                ):
                    right, key_right = right + 1, key_right + 1
                private = key_right - max(key_left, self.private_start)
                if private >= MIN_FRAGMENT:
                    spans.append((left, right))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


def _base64_spellings(secret: bytes) -> tuple[bytes, ...]:
    """The parts of any base64 text that encodes ``secret`` (after 0, 1 or 2 other bytes),
    in the standard and the URL-safe alphabet: the characters that depend on the secret's
    bytes alone, so they appear whatever surrounds it."""
    if len(secret) < 6:
        return ()
    found: list[bytes] = []
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + secret)
        # the first group mixes in the leading bytes, the last one what follows the secret
        start = 4 if lead else 0
        whole = (lead + len(secret)) // 3 * 4
        middle = encoded[start:whole]
        if len(middle) >= 8:
            found.append(middle)
            found.append(middle.translate(bytes.maketrans(b"+/", b"-_")))
    return tuple(dict.fromkeys(found))


class KeyRedactor:
    """Replaces one secret in texts and bodies. An empty secret replaces nothing."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._secret_bytes = secret.encode("utf-8")
        self._placeholder_bytes = KEY_PLACEHOLDER.encode("utf-8")
        self._spellings = _Spellings(self._secret_bytes) if secret else None

    def __repr__(self) -> str:  # the secret must never reach a log through repr()
        return "KeyRedactor(***)"

    def text(self, value: str) -> str:
        """``value`` with every spelling of the secret replaced."""
        if not self._secret or not value:
            return value
        raw = value.encode("utf-8", "surrogatepass")
        cleaned = self._plain(raw)
        return value if cleaned is raw else cleaned.decode("utf-8", "surrogatepass")

    def _plain(self, data: bytes) -> bytes:
        """``data`` with the key, its base64 spellings and its fragments replaced (the same
        object when nothing was found)."""
        spellings = self._spellings
        if spellings is None:
            return data
        out = data
        if self._secret_bytes in out:
            out = out.replace(self._secret_bytes, self._placeholder_bytes)
        for encoded in spellings.encoded:
            if encoded in out:
                out = out.replace(encoded, self._placeholder_bytes)
        spans = spellings.fragments(out)
        if spans:
            pieces, last = [], 0
            for start, end in spans:
                pieces += [out[last:start], self._placeholder_bytes]
                last = end
            pieces.append(out[last:])
            out = b"".join(pieces)
        return out

    def headers(self, headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((self.text(k), self.text(v)) for k, v in headers)

    def body(self, body: bytes) -> bytes:
        """``body`` with the secret replaced, also where a JSON body hides it in escapes."""
        if not self._secret or not body:
            return body
        out = self._plain(body)
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
                cleaned = self.text(node)
                if cleaned != node:
                    found[0] = True
                return cleaned
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
