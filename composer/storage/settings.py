"""User settings: a small JSON file in the platform's config folder (or the --data-dir folder).

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves half a
file. A file that cannot be used is never written over: the app runs with the defaults, says so
in ``SettingsStore.problem``, and keeps changes in memory. A value of the wrong type falls back
to its field's default with a sentence naming the field and what would be right. There is no
field for an API key: keys live in the OS keyring only.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from composer.storage.settings_model import (
    MAX_RECENT_FILES,
    THEMES,
    RateLimits,
    Retention,
    Settings,
    Target,
    parse_settings,
)

__all__ = [
    "MAX_RECENT_FILES",
    "THEMES",
    "RateLimits",
    "Retention",
    "Settings",
    "SettingsStore",
    "Target",
    "parse_settings",
]

log = logging.getLogger(__name__)


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
