"""`event-composer key set|delete|list [--account NAME]`: API keys in the OS keyring.

The key is read from a hidden prompt, or from stdin when stdin is not a terminal (for scripts:
``printf %s "$KEY" | event-composer key set --account Staging``); never from the command line,
where other users could read it in the process list and the shell would keep it in its history.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from composer.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, data_dir_from


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "key",
        help="store, delete or list API keys in the OS keyring",
        description="API keys live in the OS keyring, one per named account (a label such as "
        "Staging or Production). `set` reads the key from a hidden prompt, or from stdin when "
        "it is not a terminal; never from the command line.",
    )
    ksub = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for name, help_text, handler in (
        ("set", "store the key of an account (asks for it)", run_set),
        ("delete", "delete the key of an account", run_delete),
    ):
        action = ksub.add_parser(name, help=help_text, description=help_text + ".")
        action.add_argument(
            "name", nargs="?", metavar="NAME", help="the account (the same as --account)"
        )
        action.add_argument(
            "--account",
            metavar="NAME",
            help="the account label (default: the default account, else 'default')",
        )
        action.set_defaults(handler=handler)
    listing = ksub.add_parser(
        "list",
        help="list accounts with their keys masked",
        description="List the accounts, their keys masked (pk_…a1b2), and the keyring's state.",
    )
    listing.add_argument("--account", metavar="NAME", help="only this account")
    listing.add_argument("--json", action="store_true", help="as one JSON object")
    listing.set_defaults(handler=run_list)


class LooksLikeAKey(ValueError):
    """An account name that is really a key typed on the command line."""


def _account(storage: Any, args: argparse.Namespace) -> str:
    from composer.storage import default_account

    name: str | None = getattr(args, "name", None) or args.account
    if name and name.strip().startswith(("pk_", "sk_")) and len(name.strip()) >= 20:
        # Never keep it: not as an account name in the settings, not in a message.
        raise LooksLikeAKey(
            "NAME looks like an API key. Keys are never taken from the command line (other "
            "users can read it in the process list, and the shell keeps it in its history). "
            "Run `event-composer key set --account NAME` and paste the key at the prompt; "
            "consider rotating this key in Klaviyo if the command line was logged."
        )
    return name.strip() if name and name.strip() else default_account(storage.settings.settings)


def _read_key(account: str) -> str:
    """The key from a hidden prompt on a terminal, else the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Private API key for account {account!r} (input hidden): ")
    return sys.stdin.readline() if sys.stdin is not None else ""


def _err(message: str) -> None:
    print(f"event-composer key: {message}", file=sys.stderr)


def _open(args: argparse.Namespace) -> Any:
    # The settings and the keyring only: keys can be managed when the history is damaged.
    from composer.storage import open_accounts

    return open_accounts(data_dir_from(args))


def _with_storage(args: argparse.Namespace, body: Callable[[Any], int]) -> int:
    """Open the state folder (a plain message and exit 2 when it cannot be) and run ``body``."""
    try:
        storage = _open(args)
    except OSError as exc:
        _err(f"{getattr(exc, 'filename', '') or 'state folder'}: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    with storage:
        return body(storage)


def _with_account_name(
    storage: Any, args: argparse.Namespace, body: Callable[[Any, argparse.Namespace, str], int]
) -> int:
    """Run ``body`` with the account the arguments name (exit 2 for a name that is a key)."""
    try:
        account = _account(storage, args)
    except LooksLikeAKey as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    return body(storage, args, account)


def run_set(args: argparse.Namespace) -> int:
    return _with_storage(args, lambda storage: _with_account_name(storage, args, _set))


def _set(storage: Any, args: argparse.Namespace, account: str) -> int:
    from composer.storage.secrets import mask_key

    key = _read_key(account).strip()
    if not key:
        _err("key: nothing was entered; paste the account's private API key (pk_...)")
        return EXIT_BAD_INPUT
    if any(c.isspace() for c in key):
        _err("key: the key contains spaces or line breaks; paste exactly one key")
        return EXIT_BAD_INPUT
    if not key.startswith("pk_"):
        _err("warning: Klaviyo private API keys start with pk_; this one does not (stored anyway)")
    where = storage.secrets.set_key(account, key)
    if where != "keyring":
        _err(
            f"{storage.secrets.status.message}. The key was NOT saved: it would be "
            "forgotten when this command ends. For the command line, set the "
            "KLAVIYO_API_KEY environment variable instead."
        )
        return EXIT_INVALID
    storage.settings.modify(lambda s: _with_account(s, account))
    print(
        f"Saved the key for account {account!r} ({mask_key(key)}) in "
        f"{storage.secrets.status.backend}."
    )
    _unsaved_settings(storage, f"account {account!r} is not added to its list of accounts")
    return EXIT_OK


def _unsaved_settings(storage: Any, what: str) -> None:
    """Say so when the settings file could not take a change (it cannot be read)."""
    if not storage.settings.writable:
        _err(
            f"warning: {storage.settings.path} cannot be used ({storage.settings.unreadable}) "
            f"and is left as it is, so {what}. Repair the file, then run this command again."
        )


def _with_account(settings: Any, account: str) -> Any:
    import dataclasses

    settings = settings.with_account(account)
    if settings.default_account is None:
        settings = dataclasses.replace(settings, default_account=account)
    return settings


def run_delete(args: argparse.Namespace) -> int:
    return _with_storage(args, lambda storage: _with_account_name(storage, args, _delete))


def _delete(storage: Any, args: argparse.Namespace, account: str) -> int:
    from composer.storage.secrets import SecretStoreError

    try:
        deleted = storage.secrets.delete_key(account)
    except SecretStoreError as exc:
        _err(str(exc))
        return EXIT_INVALID
    known = account in storage.settings.settings.accounts
    storage.settings.modify(lambda s: s.without_account(account))
    _unsaved_settings(storage, f"account {account!r} stays in its list of accounts")
    if deleted:
        print(f"Deleted the key for account {account!r}.")
    elif known:
        print(f"Account {account!r} had no key stored; removed it from the accounts.")
    else:
        _err(f"account: there is no account {account!r}; `event-composer key list` shows them")
        return EXIT_BAD_INPUT
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    return _with_storage(args, lambda storage: _list(storage, args))


def _list(storage: Any, args: argparse.Namespace) -> int:
    from composer.storage.secrets import mask_key

    settings = storage.settings.settings
    names = list(settings.accounts)
    if args.account:
        names = [n for n in names if n == args.account] or [args.account]
    status = storage.secrets.status
    rows = [(name, storage.secrets.get_key(name)) for name in names]
    if args.json:
        print(
            json.dumps(
                {
                    "keyring": {
                        "available": status.available,
                        "backend": status.backend,
                        "message": status.message,
                    },
                    "default_account": settings.default_account,
                    "accounts": [
                        {
                            "account": n,
                            "key": mask_key(k) if k else None,
                            "has_key": k is not None,
                        }
                        for n, k in rows
                    ],
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(f"Keyring: {status.message}")
    if not rows:
        print("No accounts yet: `event-composer key set --account NAME` adds one.")
    for name, key in rows:
        marker = " (default)" if name == settings.default_account else ""
        shown = mask_key(key) if key else "(no key stored)"
        print(f"  {name}{marker}: {shown}")
    return EXIT_OK
