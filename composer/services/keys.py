"""Which API key a send uses, and where it came from (never from a command-line argument)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from composer.client import SANDBOX_KEY, KeyRoute, Target
from composer.services.ports import KeySource

ENV_KEY = "KLAVIYO_API_KEY"


class KeyUnavailable(Exception):
    """No key could be found; the message says how to provide one (never contains a key)."""


class KeyRefused(KeyUnavailable):
    """A key exists, but the rule of :class:`~composer.client.KeyRoute` forbids sending it to
    this target; the message says why and how to proceed (never contains a key)."""


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


def plain_http_refusal(target: Target) -> str:
    """Why no key goes to a non-loopback target over plain http, and what to do instead."""
    return (
        f"{target.base_url} is not Klaviyo and not this machine, and plain http would carry "
        "the API key unencrypted, so no key is ever sent there (naming an account does not "
        "change that). Use an https:// URL of that server, or reach it through a loopback "
        "address (for example an SSH tunnel to http://127.0.0.1:PORT)"
    )


def unnamed_account_refusal(target: Target, account: str) -> str:
    """Why an account the user did not name (the default, or one a history entry records)
    does not send its key to another host by itself, and how to send it there on purpose."""
    return (
        f"{target.base_url} is not Klaviyo: the key of account {account!r} goes by itself "
        "only to Klaviyo or to this machine, and you did not name it for this send. To send "
        f"it to {target.host}, name it: --account {account}"
    )


def check_key_destination(target: Target, account: str | None, *, named: bool) -> None:
    """Raise :class:`KeyRefused` when a key of ``account`` (``named``: chosen for this send
    or confirmed for this host; else the default account) must not go to ``target``.
    ``account`` None stands for the ``KLAVIYO_API_KEY`` variable, which the user sets for
    the command at hand: it counts as named."""
    route = target.key_route
    if route is KeyRoute.NEVER:
        raise KeyRefused(plain_http_refusal(target))
    if route is KeyRoute.NAMED_ONLY and account is not None and not named:
        raise KeyRefused(unnamed_account_refusal(target, account))


def resolve_key(
    target: Target,
    account: str | None,
    keys: KeySource | None,
    environ: Mapping[str, str] | None = None,
    *,
    named: bool = True,
) -> ResolvedKey:
    """The key for a send, in this order: the keyring entry of a ``named`` account; the
    ``KLAVIYO_API_KEY`` environment variable; for the sandbox and loopback targets, the fixed,
    fake sandbox key; the keyring entry of ``account`` as the default (``named`` False),
    which only Klaviyo and this machine get (see :func:`check_key_destination`).
    Raises KeyRefused or KeyUnavailable. May block on keyring I/O: call it off the UI thread."""
    env = os.environ if environ is None else environ
    if target.key_route is KeyRoute.NEVER:
        raise KeyRefused(plain_http_refusal(target))
    if account and named:
        return _from_keyring(account, keys, f"keyring account {account!r}")
    env_key = env.get(ENV_KEY, "").strip()
    if env_key:
        check_key_destination(target, None, named=True)
        return ResolvedKey(env_key, f"the {ENV_KEY} environment variable", None)
    if target.is_local:
        return ResolvedKey(SANDBOX_KEY, "the built-in sandbox key (fake; Klaviyo rejects it)", None)
    if account:
        check_key_destination(target, account, named=False)
        try:
            return _from_keyring(account, keys, f"keyring account {account!r} (the default)")
        except KeyUnavailable:
            pass  # the user named no account: explain the choices, not the default's empty slot
    raise KeyUnavailable(
        f"{target.describe()} needs a private API key: name a stored one with --account NAME "
        f"(see `event-composer key set NAME`) or set the {ENV_KEY} environment variable"
    )


def _from_keyring(account: str, keys: KeySource | None, source: str) -> ResolvedKey:
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
    return ResolvedKey(key, source, account)
