"""State that outlives a run: the send history (SQLite), the settings (a JSON file) and the API
keys (the OS keyring, or memory for this run only). ``open_storage`` wires the three together
for the CLI and the GUI alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.storage.paths import StoragePaths
from composer.storage.secrets import DEFAULT_ACCOUNT, SecretStore
from composer.storage.settings import Settings, SettingsStore

if TYPE_CHECKING:
    from composer.storage.history import HistoryStore

__all__ = [
    "AccountStorage",
    "HistoryStore",
    "SecretStore",
    "SettingsStore",
    "Storage",
    "StoragePaths",
    "open_accounts",
    "open_storage",
    "with_history",
]


def __getattr__(name: str) -> Any:
    # the history's modules (SQLite, records, migrations) load when first used: the window
    # reads only the settings before its first paint
    if name == "HistoryStore":
        from composer.storage.history import HistoryStore

        return HistoryStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(slots=True)
class Storage:
    """The three stores and where they live. Close it (or use ``with``) when done."""

    paths: StoragePaths
    history: HistoryStore
    settings: SettingsStore
    secrets: SecretStore
    checks_deferred: bool = False
    """True while the history's damage check is still to run (:meth:`finish_opening`)."""
    retention_deferred: bool = False
    """True while the user's retention is still to apply (:meth:`finish_opening`)."""

    def finish_opening(self) -> int:
        """Run what ``open_storage(defer_checks=True)`` left for later: read the whole history
        for damage (raises ``HistoryDamaged``, having changed nothing), then apply the user's
        retention. Returns the number of entries the retention removed. Blocks: call it off
        the UI thread."""
        if self.checks_deferred:
            if not self.history.checked:
                self.history.check()
            self.checks_deferred = False
        if not self.retention_deferred:
            return 0
        self.retention_deferred = False
        return _apply_retention(self.history, self.settings.settings)

    def close(self) -> None:
        self.history.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class AccountStorage:
    """The settings and the keyring without the history: what the ``key`` commands need, so
    that they work when the history cannot be opened (damaged, locked)."""

    paths: StoragePaths
    settings: SettingsStore
    secrets: SecretStore

    def close(self) -> None:
        """Nothing to close (there for symmetry with :class:`Storage`)."""

    def __enter__(self) -> AccountStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_accounts(data_dir: Path | None, *, secrets: SecretStore | None = None) -> AccountStorage:
    """Read the settings in ``data_dir`` (or the platform's config folder) and set up the
    keyring for their accounts; the history is not opened."""
    paths = StoragePaths.resolve(data_dir)
    paths.ensure()
    settings = SettingsStore(paths.settings_file)
    if secrets is None:
        secrets = SecretStore(known_accounts=lambda: settings.settings.accounts)
    return AccountStorage(paths, settings, secrets)


def open_storage(
    data_dir: Path | None,
    *,
    apply_retention: bool = True,
    secrets: SecretStore | None = None,
    defer_checks: bool = False,
) -> Storage:
    """Open the history and the settings in ``data_dir`` (all state in that one folder) or,
    when None, in the platform's data and config folders; apply the user's retention.

    The keyring is not touched here (probing it may block): ``storage.secrets.status`` probes
    on first use. Raises ``HistoryError`` when the history cannot be opened (``HistoryDamaged``
    when its file is damaged: it can then be moved aside with ``paths.move_history_aside``).

    With ``defer_checks`` the reading of the whole history for damage (about 0.7 s for
    100,000 entries) and the retention, which writes, wait for
    :meth:`Storage.finish_opening` (the window paints first); a file that is not a database
    at all, or one whose schema must be migrated, is still checked here.
    """
    accounts = open_accounts(data_dir, secrets=secrets)
    return with_history(accounts, apply_retention=apply_retention, defer_checks=defer_checks)


def with_history(
    accounts: AccountStorage, *, apply_retention: bool = True, defer_checks: bool = False
) -> Storage:
    """The storage of ``accounts`` (settings read already) with its history opened, as
    :func:`open_storage` opens it: the window reads the settings to paint, then this."""
    from composer.storage.history import HistoryStore

    history = HistoryStore(accounts.paths.history_db, check=not defer_checks)
    storage = Storage(
        accounts.paths,
        history,
        accounts.settings,
        accounts.secrets,
        checks_deferred=defer_checks,
        retention_deferred=defer_checks and apply_retention,
    )
    if apply_retention and not defer_checks:
        _apply_retention(history, accounts.settings.settings)
    return storage


def _apply_retention(history: HistoryStore, settings: Settings) -> int:
    keep = settings.retention
    if keep.keep_last is None and keep.keep_days is None:
        return 0
    return history.apply_retention(keep.keep_last, keep.keep_days)


def default_account(settings: Settings) -> str:
    """The account a command uses when none is named: the user's default account, else the
    only account there is, else ``"default"``."""
    if settings.default_account:
        return settings.default_account
    if len(settings.accounts) == 1:
        return settings.accounts[0]
    return DEFAULT_ACCOUNT
