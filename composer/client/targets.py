"""Where a send goes: the in-process sandbox, a URL (loopback or not), or Klaviyo itself."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

PRODUCTION_URL = "https://a.klaviyo.com"
SANDBOX_URL = "http://sandbox.invalid"
"""Base URL of the in-process sandbox. No socket is opened: the ASGI transport answers it, and
``.invalid`` can never resolve should it leak to a real transport."""

SANDBOX_KEY = "pk_" + "sandbox0000notasecret0000000000000"
"""The key sent to a sandbox when the user configured none: the shape of a private key (``pk_``
then letters and digits, 37 characters like Klaviyo's) and obviously fake. Klaviyo rejects it."""


class TargetKind(StrEnum):
    """What kind of server a target is, which decides the safety rules that apply."""

    SANDBOX = "sandbox"
    """The in-process sandbox (no socket)."""
    LOOPBACK = "loopback"
    """A URL on this machine, e.g. ``event-composer sandbox`` on 127.0.0.1."""
    PRODUCTION = "production"
    """Klaviyo: https://a.klaviyo.com, TLS with certificate verification always on."""
    CUSTOM = "custom"
    """Any other URL the user gave; not Klaviyo."""


class KeyRoute(StrEnum):
    """Which keys may travel to a target: the one rule for the CLI, the GUI and replay."""

    AUTOMATIC = "automatic"
    """Klaviyo itself or this machine: the configured key (default account included) goes."""
    NAMED_ONLY = "named_only"
    """Another host over https: only a key named for this send (``--account NAME``, or the
    account confirmed for that host in the window); never the default account by itself."""
    NEVER = "never"
    """Another host over plain http: no real key at all, since it would travel unencrypted."""


class TargetError(ValueError):
    """A target that cannot be used; the message says what would be right."""


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed target: its kind, base URL (no trailing slash) and label for history."""

    kind: TargetKind
    base_url: str

    @property
    def label(self) -> str:
        """``sandbox``, ``production`` or the base URL: what the history records."""
        if self.kind in (TargetKind.SANDBOX, TargetKind.PRODUCTION):
            return self.kind.value
        return self.base_url

    @property
    def is_klaviyo(self) -> bool:
        return self.kind is TargetKind.PRODUCTION

    @property
    def is_local(self) -> bool:
        """True for the in-process sandbox and loopback URLs: nothing leaves this machine."""
        return self.kind in (TargetKind.SANDBOX, TargetKind.LOOPBACK)

    @property
    def host(self) -> str:
        """The host (and port, when given) the requests go to, e.g. ``10.1.2.3:8443``."""
        return urlsplit(self.base_url).netloc

    @property
    def key_route(self) -> KeyRoute:
        """Which keys may be sent here (see :class:`KeyRoute`)."""
        if self.kind is not TargetKind.CUSTOM:
            return KeyRoute.AUTOMATIC
        if self.base_url.startswith("https://"):
            return KeyRoute.NAMED_ONLY
        return KeyRoute.NEVER

    def describe(self) -> str:
        """One line for people: what this target is and whether it is Klaviyo."""
        if self.kind is TargetKind.SANDBOX:
            return "the built-in sandbox (in-process; not Klaviyo, nothing leaves this machine)"
        if self.kind is TargetKind.PRODUCTION:
            return f"Klaviyo production ({PRODUCTION_URL})"
        if self.kind is TargetKind.LOOPBACK:
            return f"{self.base_url} on this machine (not Klaviyo)"
        return f"{self.base_url} (NOT Klaviyo: a server you named)"

    def warning(self) -> str | None:
        """A caution to show before sending a real key there, or None."""
        if self.kind is TargetKind.CUSTOM and self.base_url.startswith("http://"):
            return (
                f"{self.base_url} is not Klaviyo, and plain http would send the API key "
                "unencrypted; no key is sent there (use https or a loopback address)"
            )
        if self.kind is TargetKind.CUSTOM:
            return f"{self.base_url} is not Klaviyo; the API key will be sent to it"
        return None


def _is_loopback_host(host: str) -> bool:
    """Whether ``host`` is certainly this machine: a loopback address, or ``localhost``, which
    the hosts file answers. Other names (``app.localhost``, ``localhost.localdomain``) are
    usually answered by DNS, which may name any host: a key sent there as "this machine"
    could travel in clear text to another one."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_target(spec: str | None) -> Target:
    """``sandbox`` (default), ``production``, or an http(s) base URL.

    Klaviyo's own host is only reachable over https; any other URL is allowed and labelled
    loopback or custom.
    """
    text = (spec or "sandbox").strip()
    lowered = text.lower()
    if lowered == "sandbox":
        return Target(TargetKind.SANDBOX, SANDBOX_URL)
    if lowered == "production":
        return Target(TargetKind.PRODUCTION, PRODUCTION_URL)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"target {text!r} is not usable: give 'sandbox', 'production', or a base URL "
            "such as http://127.0.0.1:8787"
        )
    if parts.query or parts.fragment:
        raise TargetError(f"target {text!r}: a base URL has no ?query or #fragment")
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        raise TargetError(f"target {text!r}: the port is not a number from 1 to 65535") from None
    if host == "a.klaviyo.com" or host.endswith(".klaviyo.com"):
        if scheme != "https":
            raise TargetError(
                f"target {text!r}: Klaviyo is only reached over https; use 'production'"
            )
        if host == "a.klaviyo.com" and parts.path.strip("/") == "" and port in (None, 443):
            return Target(TargetKind.PRODUCTION, PRODUCTION_URL)
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    base = f"{scheme}://{netloc}{parts.path.rstrip('/')}"
    kind = TargetKind.LOOPBACK if _is_loopback_host(host) else TargetKind.CUSTOM
    return Target(kind, base)
