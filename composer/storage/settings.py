"""User settings: a small JSON file in the platform's config folder (or the --data-dir folder).

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves half a
file. A file that cannot be used is never written over: the app runs with the defaults, says so
in ``SettingsStore.problem``, and keeps changes in memory. A value of the wrong type falls back
to its field's default with a sentence naming the field and what would be right. There is no
field for an API key: keys live in the OS keyring only.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import tempfile
import threading
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
    sandbox_retired_revisions: str = "serve"
    """What the built-in sandbox does with a retired revision: serve, fall-forward or gone."""

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
        its default (the other values are kept). See :func:`parse_settings`."""
        settings, problems, _invalid = parse_settings(obj)
        return settings, problems


THEMES = ("system", "light", "dark")


def parse_settings(obj: Any) -> tuple[Settings, list[str], set[str]]:
    """Settings from a parsed file object, one sentence per value that was not usable (naming
    the field, what it holds and what would be right), and the top-level fields that were
    not taken as written. A value of the wrong type falls back to the field's default; in a
    list, only the unusable items are left out; in an object, only the unusable members."""
    if not isinstance(obj, dict):
        return Settings(), ["the settings file does not hold a JSON object"], set()
    problems: list[str] = []
    invalid: set[str] = set()
    defaults = Settings()
    values: dict[str, Any] = {}

    def complain(name: str, exc: Exception, default: Any) -> None:
        problems.append(f"settings: {name} is not valid ({exc}); using the default {default!r}")

    def take(name: str, convert: Callable[[Any], Any]) -> None:
        if name not in obj:
            return
        try:
            values[name] = convert(obj[name])
        except (TypeError, ValueError) as exc:
            invalid.add(name)
            complain(name, exc, getattr(defaults, name))

    def items(name: str, convert: Callable[[Any], Any], limit: int | None = None) -> None:
        """A list field: the usable items are kept, each unusable one named."""
        if name not in obj:
            return
        raw = obj[name]
        if not isinstance(raw, list):
            invalid.add(name)
            complain(
                name, TypeError(f"expected a list, found {_kind(raw)}"), getattr(defaults, name)
            )
            return
        kept = []
        for index, item in enumerate(raw):
            try:
                kept.append(convert(item))
            except (TypeError, ValueError) as exc:
                invalid.add(name)
                problems.append(f"settings: {name}[{index}] is not valid ({exc}); left out")
        values[name] = tuple(kept[:limit] if limit else kept)

    def members(name: str, fields: dict[str, tuple[Callable[[Any], Any], Any]]) -> dict[str, Any]:
        """An object field: each member converted, an unusable one replaced by its default."""
        raw = obj[name]
        if not isinstance(raw, dict):
            raise TypeError(f"expected an object, found {_kind(raw)}")
        out: dict[str, Any] = {}
        for member, (convert, default) in fields.items():
            if member not in raw:
                continue
            try:
                out[member] = convert(raw[member])
            except (TypeError, ValueError) as exc:
                invalid.add(name)
                complain(f"{name}.{member}", exc, default)
        return out

    items("targets", _target)
    items("accounts", _string)
    take("default_target", _string)
    take("default_account", lambda v: None if v is None else _string(v))
    take("default_revision", _revision)
    if "retention" in obj:
        keep = Retention()
        take(
            "retention",
            lambda v: Retention(
                **members(
                    "retention",
                    {"keep_last": (_count, keep.keep_last), "keep_days": (_count, keep.keep_days)},
                )
            ),
        )
    take("auto_unique_id", _bool)
    take("fresh_unique_id", _bool)
    if "rate_limits" in obj:
        limits = RateLimits()
        take(
            "rate_limits",
            lambda v: RateLimits(
                **members(
                    "rate_limits",
                    {
                        "burst_per_second": (_positive, limits.burst_per_second),
                        "steady_per_minute": (_positive, limits.steady_per_minute),
                    },
                )
            ),
        )
    take("theme", _theme)
    take("window_layout", lambda v: None if v is None else _string(v))
    items("recent_files", _string, MAX_RECENT_FILES)
    take("sandbox_retired_revisions", _retired_policy)
    return Settings(**values), problems, invalid


def _kind(v: Any) -> str:
    """What a JSON value is, in the words of the settings file."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"{str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v[:40]!r}"
    if isinstance(v, list):
        return "a list"
    return "an object"


RETIRED_POLICIES = ("serve", "fall-forward", "gone")


def _retired_policy(v: Any) -> str:
    if v not in RETIRED_POLICIES:
        raise ValueError(f"expected one of {', '.join(RETIRED_POLICIES)}, found {v!r}")
    return str(v)


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected text, found {_kind(v)}")
    return v


def _target(v: Any) -> Target:
    if not isinstance(v, dict) or not {"name", "base_url"} <= v.keys():
        raise TypeError(
            'expected an object such as {"name": "Local", "base_url": "http://127.0.0.1:8787"}'
            f", found {_kind(v)}"
        )
    return Target(_string(v["name"]), _string(v["base_url"]))


def _revision(v: Any) -> str:
    from composer.domain.revisions import REVISIONS

    if not isinstance(v, str) or v not in REVISIONS:
        raise ValueError(
            f"expected a revision this app knows ({', '.join(REVISIONS)}), found {_kind(v)}"
        )
    return v


def _theme(v: Any) -> str:
    if not isinstance(v, str) or v not in THEMES:
        raise ValueError(f"expected one of {', '.join(THEMES)}, found {_kind(v)}")
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true or false, found {_kind(v)}")
    return v


def _count(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"expected a whole number of 0 or more, or null; found {_kind(v)}")
    return v


def _positive(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"expected a whole number of 1 or more, found {_kind(v)}")
    return v


class SettingsStore:
    """The settings file at ``path``. ``settings`` is the current value; ``update`` re-reads the
    file first so that a CLI and the GUI changing different settings do not undo each other.

    A file that cannot be used at all (unreadable, not UTF-8, not JSON, not an object, a
    folder) is never written over: ``unreadable`` says why, the defaults are used for this run,
    and changes are kept in memory only until the file is readable again. In a readable file,
    values this version does not know, and values it could not use (unless changed), are
    written back as they were.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.problem: str | None = None
        """Why the file could not be used as it was (None when it was fine or absent)."""
        self.unreadable: str | None = None
        """Why the file cannot be used at all; while set, nothing is written to it."""
        self._kept: dict[str, Any] = {}
        """Values of the file to write back as they were: unknown keys, unusable values."""
        self._as_loaded: dict[str, Any] = {}
        """What each unusable value was replaced by (it is written back while unchanged)."""
        self._lock = threading.Lock()
        self.settings = self.load()

    @property
    def writable(self) -> bool:
        """False while the file on disk cannot be read (changes stay in memory)."""
        return self.unreadable is None

    def load(self) -> Settings:
        """Read the file (defaults when it does not exist yet, or cannot be used)."""
        self.problem = self.unreadable = None
        self._kept, self._as_loaded = {}, {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except IsADirectoryError:
            return self._cannot_use("it is a folder, not a file")
        except OSError as exc:
            return self._cannot_use(f"it cannot be read: {exc.strerror or exc}")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return self._cannot_use(
                f"it is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
            )
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return self._cannot_use(
                f"it is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]} at line {exc.lineno}, "
                f"column {exc.colno}"
            )
        except RecursionError:
            return self._cannot_use("it is not valid JSON (nested too deeply)")
        if not isinstance(parsed, dict):
            return self._cannot_use("it does not hold a JSON object ({...})")
        settings, problems, invalid = parse_settings(parsed)
        known = {f.name for f in dataclasses.fields(Settings)} | {"version"}
        self._kept = {k: v for k, v in parsed.items() if k not in known or k in invalid}
        self._as_loaded = {name: getattr(settings, name) for name in invalid}
        if problems:
            self.problem = f"{self.path}: " + "; ".join(problems)
            log.warning("%s", self.problem)
        return settings

    def _cannot_use(self, why: str) -> Settings:
        self.unreadable = why
        self.problem = (
            f"{self.path}: the settings file cannot be used ({why}). Event Composer runs with "
            "the default settings for now and does not write over the file, so the accounts "
            "and settings in it are kept; changes made now last until the app closes. Repair "
            "the file, or move it away to start afresh."
        )
        log.warning("%s", self.problem)
        return Settings()

    def save(self, settings: Settings) -> None:
        """Write ``settings`` atomically and make them current (in memory only while the file
        cannot be read)."""
        with self._lock:
            self._write(settings)
            self.settings = settings

    def update(self, **changes: Any) -> Settings:
        """Change some settings (re-reading the file first) and save; returns the result."""
        with self._lock:
            new = dataclasses.replace(self._current(), **changes)
            for name in changes:  # set on purpose: no longer the file's unusable value
                self._kept.pop(name, None)
                self._as_loaded.pop(name, None)
            self._write(new)
            self.settings = new
            return new

    def modify(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply ``change`` to the settings as they are on disk now, save, return the result.
        For example ``store.modify(lambda s: s.with_account("Staging"))``."""
        with self._lock:
            new = change(self._current())
            self._write(new)
            self.settings = new
            return new

    def _current(self) -> Settings:
        """The settings on disk now, or this run's when the file is missing or unusable."""
        known = self.settings
        on_disk = self.load()
        if self.writable and (self.path.exists() or on_disk != Settings()):
            return on_disk
        return known  # missing (keep this run's values) or unusable (never written over)

    def _write(self, settings: Settings) -> None:
        if not self.writable:
            log.warning("%s: not saved (the file cannot be used: %s)", self.path, self.unreadable)
            return
        out = settings.to_json()
        for name, raw in self._kept.items():
            unusable = name in self._as_loaded
            if not unusable or getattr(settings, name) == self._as_loaded[name]:
                out[name] = raw  # unknown here, or unusable and not changed since: as it was
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(out, indent=2, ensure_ascii=False) + "\n"
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
