"""Files dragged over the composer's text widgets: they are not text to insert there (a file
manager's drag also carries the files' paths as text); the window opens a dropped event file.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData


def carries_files(data: QMimeData) -> bool:
    """True when dragged or pasted data names local files."""
    return data.hasUrls() and any(url.isLocalFile() for url in data.urls())
