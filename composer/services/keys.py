"""Which API key a send uses, and where it came from (never from a command-line argument)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from composer.client import SANDBOX_KEY, Target
from composer.services.ports import KeySource

ENV_KEY = "KLAVIYO_API_KEY"


class KeyUnavailable(Exception):
    """No key could be found; the message says how to provide one (never contains a key)."""


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A key and a description of its source that is safe to show."""

    key: str
    source: str
    """e.g. "keyring account 'shop'", "the KLAVIYO_API_KEY environment variable"."""
    account: str | None
    """The account label for history (None for the environment variable or the sandbox)."""

    def __repr__(self) -> str:  # a key must never reach a log through repr()
        return f"ResolvedKey(source={self.source!r}, account={self.account!r})"


def resolve_key(
    target: Target,
    account: str | None,
    keys: KeySource | None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedKey:
    """The key for a send: the keyring entry of ``account`` when one is named, else the
    ``KLAVIYO_API_KEY`` environment variable, else (for the sandbox and loopback targets only)
    the fixed, fake sandbox key. May block on keyring I/O: call it off the UI thread."""
    env = os.environ if environ is None else environ
    if account:
        if keys is None:
            raise KeyUnavailable(
                f"cannot read the key of account {account!r}: this installation has no "
                f"keyring support; set the {ENV_KEY} environment variable instead"
            )
        key = keys.get_key(account)
        if not key:
            raise KeyUnavailable(
                f"no API key is stored for account {account!r}; store one with "
                f"`event-composer key set {account}`, or set {ENV_KEY} and leave out --account"
            )
        return ResolvedKey(key, f"keyring account {account!r}", account)
    env_key = env.get(ENV_KEY, "").strip()
    if env_key:
        return ResolvedKey(env_key, f"the {ENV_KEY} environment variable", None)
    if target.is_local:
        return ResolvedKey(SANDBOX_KEY, "the built-in sandbox key (fake; Klaviyo rejects it)", None)
    raise KeyUnavailable(
        f"{target.describe()} needs a private API key: name a stored one with --account NAME "
        f"(see `event-composer key set NAME`) or set the {ENV_KEY} environment variable"
    )
