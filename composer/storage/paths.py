"""Where the app keeps its state: the platform's folders, or one folder for everything.

With ``--data-dir DIR`` (or ``EVENT_COMPOSER_DATA_DIR``) the history, the settings and the logs
all live in DIR, which is what tests, portable use and QA runs want. Without it, the history goes
to the platform's user data folder and the settings to its user config folder (platformdirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_NAME = "event-composer"
HISTORY_FILE = "history.sqlite3"
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True, slots=True)
class StoragePaths:
    """The resolved locations of every piece of state the app writes."""

    data_dir: Path
    """The folder holding the history database."""
    config_dir: Path
    """The folder holding the settings file."""
    logs_dir: Path
    history_db: Path
    settings_file: Path

    @property
    def environments_dir(self) -> Path:
        """The user's own environments (``NAME.json``), used when no collection is open."""
        return self.config_dir / "environments"

    @classmethod
    def resolve(cls, data_dir: Path | None) -> StoragePaths:
        """All paths inside ``data_dir`` when given, else the platform's folders."""
        if data_dir is not None:
            root = Path(data_dir).expanduser().resolve()
            return cls(root, root, root / "logs", root / HISTORY_FILE, root / SETTINGS_FILE)
        import platformdirs

        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        config = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        logs = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
        return cls(data, config, logs, data / HISTORY_FILE, config / SETTINGS_FILE)

    def ensure(self) -> None:
        """Create the folders (private to the user where the platform allows it)."""
        for folder in (self.data_dir, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def move_history_aside(paths: StoragePaths, stamp: str) -> Path:
    """Rename a history database that cannot be opened (and its WAL and shared-memory files)
    to ``history.sqlite3.unreadable-STAMP``, so that a fresh one can start; nothing is
    deleted. Returns the new name of the database file."""
    return move_database_aside(paths.history_db, stamp)


def move_database_aside(database: Path, stamp: str) -> Path:
    """Rename ``database`` and its WAL and shared-memory files to ``NAME.unreadable-STAMP``
    (nothing is deleted); the new name of the database file."""
    target = database.with_name(f"{database.name}.unreadable-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{database}{suffix}")
        if source.exists():
            source.rename(Path(f"{target}{suffix}"))
    return target
