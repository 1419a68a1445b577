"""User settings: a small JSON file in the platform's config folder (or the --data-dir folder).

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves half a
file. A file that cannot be read is kept aside as ``settings.json.corrupt-<time>`` and the app
starts with defaults, saying so in ``SettingsStore.problem``. There is no field for an API key:
keys live in the OS keyring only.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.domain.revisions import DEFAULT_REVISION

log = logging.getLogger(__name__)

MAX_RECENT_FILES = 10


@dataclass(frozen=True, slots=True)
class Target:
    """A named place to send to besides the built-in sandbox and production."""

    name: str
    base_url: str


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The client-side limits for the Create Event endpoint (Klaviyo's documented windows)."""

    burst_per_second: int = 350
    steady_per_minute: int = 3500


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep; None on a count means no limit on it."""

    keep_last: int | None = None
    keep_days: int | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Every user setting, with its default."""

    targets: tuple[Target, ...] = ()
    accounts: tuple[str, ...] = ()
    """Account labels ("Staging", "Production"); their keys are in the OS keyring."""
    default_target: str = "sandbox"
    default_account: str | None = None
    default_revision: str = DEFAULT_REVISION
    retention: Retention = field(default_factory=Retention)
    auto_unique_id: bool = True
    fresh_unique_id: bool = True
    """Each Send from the composer gets a new unique_id (so a repeated Send is a new event, never
    a duplicate Klaviyo drops without a word); off: the event's own unique_id is sent."""
    rate_limits: RateLimits = field(default_factory=RateLimits)
    theme: str = "system"
    window_layout: str | None = None
    """Opaque window state (base64); see :meth:`layout_bytes`."""
    recent_files: tuple[str, ...] = ()

    def layout_bytes(self) -> bytes | None:
        """The saved window layout as the bytes the GUI stored."""
        if not self.window_layout:
            return None
        try:
            return base64.b64decode(self.window_layout, validate=True)
        except ValueError:
            return None

    def with_layout(self, state: bytes | None) -> Settings:
        encoded = base64.b64encode(state).decode("ascii") if state else None
        return dataclasses.replace(self, window_layout=encoded)

    def with_account(self, name: str) -> Settings:
        """These settings with ``name`` among the accounts (kept in the order added)."""
        if name in self.accounts:
            return self
        return dataclasses.replace(self, accounts=(*self.accounts, name))

    def without_account(self, name: str) -> Settings:
        default = None if self.default_account == name else self.default_account
        return dataclasses.replace(
            self, accounts=tuple(a for a in self.accounts if a != name), default_account=default
        )

    def with_recent_file(self, path: str) -> Settings:
        recent = (path, *(p for p in self.recent_files if p != path))[:MAX_RECENT_FILES]
        return dataclasses.replace(self, recent_files=recent)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["targets"] = [dataclasses.asdict(t) for t in self.targets]
        out["accounts"] = list(self.accounts)
        out["recent_files"] = list(self.recent_files)
        return {"version": 1, **out}

    @classmethod
    def from_json(cls, obj: Any) -> tuple[Settings, list[str]]:
        """Settings from a parsed file, and one sentence per value that had to be replaced by
        its default (the other values are kept)."""
        if not isinstance(obj, dict):
            return cls(), ["the settings file does not hold a JSON object"]
        problems: list[str] = []
        defaults = cls()
        values: dict[str, Any] = {}

        def take(name: str, convert: Any) -> None:
            if name not in obj:
                return
            try:
                values[name] = convert(obj[name])
            except (TypeError, ValueError, KeyError) as exc:
                problems.append(
                    f"settings: {name} is not valid ({exc}); using the default "
                    f"{getattr(defaults, name)!r}"
                )

        take("targets", lambda v: tuple(Target(str(t["name"]), str(t["base_url"])) for t in v))
        take("accounts", lambda v: tuple(_strings(v)))
        take("default_target", _string)
        take("default_account", lambda v: None if v is None else _string(v))
        take("default_revision", _string)
        take(
            "retention", lambda v: Retention(_count(v.get("keep_last")), _count(v.get("keep_days")))
        )
        take("auto_unique_id", _bool)
        take("fresh_unique_id", _bool)
        take(
            "rate_limits",
            lambda v: RateLimits(
                _positive(v.get("burst_per_second", 350)),
                _positive(v.get("steady_per_minute", 3500)),
            ),
        )
        take("theme", _string)
        take("window_layout", lambda v: None if v is None else _string(v))
        take("recent_files", lambda v: tuple(_strings(v))[:MAX_RECENT_FILES])
        return cls(**values), problems


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected text, found {type(v).__name__}")
    return v


def _strings(v: Any) -> list[str]:
    if not isinstance(v, list):
        raise TypeError(f"expected a list, found {type(v).__name__}")
    return [_string(x) for x in v]


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true or false, found {v!r}")
    return v


def _count(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"expected a whole number of 0 or more, or null; found {v!r}")
    return v


def _positive(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"expected a whole number of 1 or more, found {v!r}")
    return v


class SettingsStore:
    """The settings file at ``path``. ``settings`` is the current value; ``update`` re-reads the
    file first so that a CLI and the GUI changing different settings do not undo each other."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.problem: str | None = None
        """Why the file could not be used as it was (None when it was fine or absent)."""
        self._lock = threading.Lock()
        self.settings = self.load()

    def load(self) -> Settings:
        """Read the file (defaults when it does not exist yet)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            self.problem = (
                f"{self.path}: the settings cannot be read ({exc.strerror}); using "
                "the defaults for this run"
            )
            log.warning("%s", self.problem)
            return Settings()
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            backup = self._keep_aside()
            self.problem = (
                f"{self.path}: the settings file is damaged ({exc}); it was kept as "
                f"{backup.name} and the defaults are used"
            )
            log.warning("%s", self.problem)
            return Settings()
        settings, problems = Settings.from_json(parsed)
        if problems:
            self.problem = "; ".join(problems)
            log.warning("%s", self.problem)
        return settings

    def _keep_aside(self) -> Path:
        backup = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, backup)
        except OSError:
            log.warning("could not move the damaged settings file aside")
        return backup

    def save(self, settings: Settings) -> None:
        """Write ``settings`` atomically and make them current."""
        with self._lock:
            self._write(settings)
            self.settings = settings

    def update(self, **changes: Any) -> Settings:
        """Change some settings (re-reading the file first) and save; returns the result."""
        with self._lock:
            current = self.load() if self.path.exists() else self.settings
            new = dataclasses.replace(current, **changes)
            self._write(new)
            self.settings = new
            return new

    def modify(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply ``change`` to the settings as they are on disk now, save, return the result.
        For example ``store.modify(lambda s: s.with_account("Staging"))``."""
        with self._lock:
            current = self.load() if self.path.exists() else self.settings
            new = change(current)
            self._write(new)
            self.settings = new
            return new

    def _write(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(settings.to_json(), indent=2, ensure_ascii=False) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
