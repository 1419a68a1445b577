"""Where the app's data files (resources/) are, from a source tree or a frozen bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    """The resources/ folder: beside the bundle's executable data when frozen (PyInstaller),
    else at the top of the source tree this package was installed from (editable install)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    """Path of one resource file, e.g. ``resource("schemas", "x.json")``."""
    return resources_dir().joinpath(*parts)
