"""API keys in the OS keyring, one entry per named account; memory only when no keyring works.

A keyring that "exists" may still fail: no Secret Service on the bus, a locked collection whose
unlock prompt cannot be shown or was dismissed, access denied. So the store probes with a real
read and treats keyring's ``fail`` and ``null`` backends (and a chainer with nothing to chain)
as unavailable. Then keys live in this process's memory for this run only: never in a file.

A keyring that refused one call may work again (unlocked, its service back): the store does not
give it up for the rest of the run. Calls try it again (unless it never answered at all), once
``retry_delay`` seconds have passed since it refused, so that reading several accounts at once
asks a locked keyring's owner to unlock it once, not once per account. A key the user gave
that the keyring refused is the account's key until the keyring takes it: it is read from
memory first (the keyring may still hold the account's older key), and it is written to the
keyring as soon as the keyring works again, so the next run has it too.

Every call may block on keyring I/O (D-Bus, an unlock prompt); the GUI calls them from a worker
thread, and the store is safe to use from several threads. No message, log line or exception
raised here contains a key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "event-composer"
DEFAULT_ACCOUNT = "default"
PROBE_ACCOUNT = "__event-composer-probe__"
MEMORY_ONLY = "keys are kept in memory for this run only"

_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
}


class SecretStoreError(Exception):
    """A keyring operation failed; the message says what and why, never the key."""


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    """Whether keys can be kept in the OS keyring, in words a person can act on."""

    available: bool
    backend: str
    """The keyring's name ("Secret Service", "macOS Keychain"), or "memory"."""
    message: str
    """e.g. "Secret Service (unlocked)" or "no working keyring (the keyring is locked ...):
    keys are kept in memory for this run only"."""

    def __str__(self) -> str:
        return self.message


def mask_key(key: str | None) -> str:
    """A key as it may be shown: ``pk_…a1b2``. Short keys show no characters at all."""
    if not key:
        return "(none)"
    prefix = "pk_" if key.startswith("pk_") else ""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"{prefix}…{tail}"


def describe_backend(backend: Any) -> str:
    """A person's name for a keyring backend."""
    cls = type(backend)
    return _BACKEND_NAMES.get(f"{cls.__module__}.{cls.__qualname__}", cls.__qualname__)


def _unusable_reason(backend: Any) -> str | None:
    """Why this backend can never store a key, or None when it might."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return (
            "no keyring service was found: no Secret Service, macOS Keychain or Windows "
            "Credential Locker is running"
        )
    if isinstance(backend, null.Keyring):
        return "the keyring is switched off (keyring's null backend is selected)"
    if isinstance(backend, chainer.ChainerBackend) and not list(backend.backends):
        return "no keyring service was found (the keyring chain is empty)"
    return None


def _failure_reason(exc: BaseException) -> str:
    """Why a keyring call failed, in plain words. Built from the exception's type, never its
    text, since a backend's message could echo what it was given."""
    from keyring import errors

    if isinstance(exc, errors.KeyringLocked):
        return (
            "the keyring is locked and could not be unlocked (the unlock prompt was "
            "dismissed or could not be shown)"
        )
    if isinstance(exc, errors.NoKeyringError):
        return "no keyring service was found"
    if isinstance(exc, errors.InitError):
        return "the keyring could not be opened"
    if isinstance(exc, PermissionError) or "denied" in type(exc).__name__.lower():
        return "access to the keyring was denied"
    return f"the keyring failed ({type(exc).__name__})"


class SecretStore:
    """Keys by account label in the OS keyring (service ``event-composer``).

    ``known_accounts`` lists the account labels the settings know about: keyrings cannot be
    enumerated portably, so :meth:`list_accounts` checks those (and any set in this run).
    ``backend`` defaults to the one PYTHON_KEYRING_BACKEND names when it is set (read when the
    store first needs it), else ``keyring.get_keyring()``.
    """

    def __init__(
        self,
        service: str = SERVICE,
        *,
        known_accounts: Callable[[], Iterable[str]] | None = None,
        backend: Any = None,
        probe_timeout: float = 30.0,
        retry_delay: float = 5.0,
    ) -> None:
        self.service = service
        self._known = known_accounts or (lambda: ())
        self._backend = backend
        self._probe_timeout = probe_timeout
        self._memory: dict[str, str] = {}
        """Keys given in this run that no keyring holds (it refused them, or there is none)."""
        self._retry = False
        """Whether the keyring, though it failed last time, is tried again by every call: it
        answered with an error (locked, denied...). Not for a keyring that cannot store keys
        at all, nor for one that did not answer in time (each call would hang again)."""
        self._retry_delay = retry_delay
        self.on_change: Callable[[KeyringStatus], None] | None = None
        """Called with the new state when the keyring stops or starts working after the first
        probe, from the thread whose call noticed it (the window keeps its status line true)."""
        self._refused_at = 0.0
        """When the keyring last refused (time.monotonic)."""
        self._seen: list[str] = []
        self._status: KeyringStatus | None = None
        self._lock = threading.RLock()
        # One keyring call at a time: under heavy load, concurrent Secret Service reads from
        # several threads were once seen to answer None for a key that exists (a send would
        # then say "no key"); keyring calls are rare, so serializing them costs nothing.
        self._io = threading.Lock()

    # -- status ------------------------------------------------------------------------------

    @property
    def backend(self) -> Any:
        if self._backend is None:
            import keyring.core

            # keyring picks its backend once per process; reading PYTHON_KEYRING_BACKEND
            # again here lets each store honour the variable as it is now.
            self._backend = keyring.core.load_env() or keyring.get_keyring()
        return self._backend

    @property
    def status(self) -> KeyringStatus:
        """The keyring's state; the first access probes it (a real read, which may block)."""
        with self._lock:
            if self._status is None:
                self._status = self._probe()
            return self._status

    @property
    def available(self) -> bool:
        return self.status.available

    def probe(self) -> KeyringStatus:
        """Probe the keyring again (e.g. after the user unlocked it) and return its state.
        When it works, it takes the keys kept in memory while it did not."""
        with self._lock:
            before = self._status
            self._status = status = self._probe()
        if status.available:
            if before is not None and not before.available:
                self._changed(status)
            self._flush()  # outside the lock: a keyring call holds _io, then _lock
        return self.status

    def _changed(self, status: KeyringStatus) -> None:
        callback = self.on_change
        if callback is None:
            return
        try:
            callback(status)
        except Exception:  # a listener gone (a closed window) must not fail a key operation
            log.debug("keyring state listener failed", exc_info=True)

    def _probe(self) -> KeyringStatus:
        backend = self.backend
        reason = _unusable_reason(backend)
        retry = False
        if reason is None:
            reason, retry = self._probe_read(backend)
        if reason is not None:
            return self._unavailable(reason, log_it=False, retry=retry)
        return self._working_status()

    def _working_status(self) -> KeyringStatus:
        name = describe_backend(self.backend)
        label = f"{name} (unlocked)" if name.startswith("Secret Service") else name
        return KeyringStatus(True, name, label)

    def _probe_read(self, backend: Any) -> tuple[str | None, bool]:
        """Read a key that does not exist, in a thread with a deadline: a keyring waiting on an
        unlock prompt nobody answers must not hang the app. Returns why it failed (None when
        it works) and whether it answered (so that later calls may try it again)."""
        outcome: list[BaseException | None] = []

        def read() -> None:
            try:
                backend.get_password(self.service, PROBE_ACCOUNT)
                outcome.append(None)
            except BaseException as exc:  # any failure means "unavailable"
                outcome.append(exc)

        worker = threading.Thread(target=read, name="keyring-probe", daemon=True)
        worker.start()
        worker.join(self._probe_timeout)
        if not outcome:
            return f"the keyring did not answer within {self._probe_timeout:g} s", False
        exc = outcome[0]
        return (None, False) if exc is None else (_failure_reason(exc), True)

    def _unavailable(
        self, reason: str, *, log_it: bool = True, retry: bool = True
    ) -> KeyringStatus:
        status = KeyringStatus(False, "memory", f"no working keyring ({reason}): {MEMORY_ONLY}")
        with self._lock:
            # said once per change: a locked keyring is tried again by every call
            changed = self._status is not None and self._status != status
            log_it = log_it and self._status != status
            self._status = status
            self._retry = retry
            self._refused_at = time.monotonic()
        if log_it:
            log.warning("%s", status.message)
        if changed:
            self._changed(status)
        return status

    def _use_keyring(self) -> bool:
        """Whether this call goes to the keyring: it works, or it failed with an answer, may
        work again, and refused long enough ago (probed on first use)."""
        status = self.status
        with self._lock:
            if status.available:
                return True
            return self._retry and time.monotonic() - self._refused_at >= self._retry_delay

    def _worked(self) -> None:
        """A keyring call succeeded: the keyring works (again), and takes the keys that were
        kept in memory while it did not."""
        self._mark_working()
        with self._lock:
            pending = bool(self._memory)
        if pending:
            self._flush()

    def _mark_working(self) -> None:
        with self._lock:
            if self._status is not None and self._status.available:
                return
            self._status = status = self._working_status()
        log.info("the keyring works again: %s", status.message)
        self._changed(status)

    def _flush(self) -> None:
        """Write the keys kept in memory to the keyring, each unless a newer one took its place
        meanwhile; stop at the first refusal (they stay in memory). A key it takes shows the
        keyring works again."""
        with self._lock:
            pending = list(self._memory)
        stored = 0
        for account in pending:
            try:
                with self._io:
                    with self._lock:
                        key = self._memory.get(account)
                    if key is None:
                        continue
                    self.backend.set_password(self.service, account, key)
                    with self._lock:
                        if self._memory.get(account) == key:
                            del self._memory[account]
                stored += 1
            except Exception as exc:
                self._unavailable(_failure_reason(exc))
                return
        if stored:
            self._mark_working()
            log.info("the keyring took %d key(s) kept in memory while it did not work", stored)

    # -- keys --------------------------------------------------------------------------------

    def get_key(self, account: str) -> str | None:
        """The key of ``account``, or None when it has none. May block (keyring I/O).

        A key given in this run that the keyring did not take comes first: the keyring may
        hold an older key of the account, which the user replaced."""
        with self._lock:
            mine = self._memory.get(account)
        if mine is not None:
            if self._use_keyring():
                self._flush()  # the keyring may take it now: then the next run has it too
            return mine
        if not self._use_keyring():
            return None
        try:
            with self._io:
                key: str | None = self.backend.get_password(self.service, account)
        except Exception as exc:
            self._unavailable(_failure_reason(exc))
            with self._lock:
                return self._memory.get(account)
        self._worked()
        return key

    def set_key(self, account: str, key: str) -> str:
        """Keep ``key`` for ``account``; returns where: ``"keyring"``, or ``"memory"`` (for this
        run only) when no keyring works. Raises ValueError for an empty key or account."""
        account, key = account.strip(), key.strip()
        if not account:
            raise ValueError("account: the account name is empty; give a label such as Staging")
        if not key:
            raise ValueError("key: the API key is empty; paste the private key (pk_...)")
        with self._lock:
            if account not in self._seen:
                self._seen.append(account)
        if self._use_keyring():
            try:
                with self._io:
                    self.backend.set_password(self.service, account, key)
                    with self._lock:
                        self._memory.pop(account, None)
            except Exception as exc:
                self._unavailable(_failure_reason(exc))
            else:
                self._worked()
                return "keyring"
        with self._lock:
            self._memory[account] = key
        return "memory"

    def delete_key(self, account: str) -> bool:
        """Forget the key of ``account``; False when there was none. Raises SecretStoreError
        when the keyring, which may hold a key of the account, refuses."""
        with self._lock:
            had = self._memory.pop(account, None) is not None
        if not self._use_keyring():
            return had
        from keyring.errors import PasswordDeleteError

        try:
            with self._io:
                if self.backend.get_password(self.service, account) is None:
                    deleted = had
                else:
                    self.backend.delete_password(self.service, account)
                    deleted = True
        except PasswordDeleteError:
            return had
        except Exception as exc:
            reason = _failure_reason(exc)
            self._unavailable(reason)
            raise SecretStoreError(
                f"account {account!r}: the key could not be deleted from the keyring: {reason}"
            ) from None
        self._worked()
        return deleted

    def has_key(self, account: str) -> bool:
        return self.get_key(account) is not None

    def list_accounts(self) -> list[str]:
        """Accounts that have a key, known from the settings or set in this run."""
        with self._lock:
            names = list(dict.fromkeys([*self._known(), *self._seen, *self._memory]))
        return [name for name in names if self.get_key(name) is not None]
