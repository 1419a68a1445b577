"""The window's layout (geometry, toolbars, splitter positions) as one opaque blob for the
settings store, so it is restored on the next start."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow, QSplitter

if TYPE_CHECKING:
    from PySide6.QtCore import QByteArray


def capture(
    window: QMainWindow, splitters: dict[str, QSplitter], flags: dict[str, int] | None = None
) -> bytes:
    """Geometry, dock/toolbar state, every splitter's sizes and ``flags`` (small numbers
    such as whether the history is folded), as bytes."""

    def enc(data: QByteArray) -> str:
        return base64.b64encode(bytes(data.data())).decode("ascii")

    state = {
        "geometry": enc(window.saveGeometry()),
        "state": enc(window.saveState()),
        "splitters": {name: enc(s.saveState()) for name, s in splitters.items()},
        "flags": dict(flags or {}),
    }
    return json.dumps(state).encode("utf-8")


def restore(
    window: QMainWindow, splitters: dict[str, QSplitter], blob: bytes | None
) -> dict[str, int] | None:
    """Apply a blob made by :func:`capture` and return its flags; None (and nothing changed)
    when it is unusable."""
    if not blob:
        return None
    from PySide6.QtCore import QByteArray  # only when there is a layout to restore

    try:
        state = json.loads(blob.decode("utf-8"))

        def dec(text: str) -> QByteArray:
            return QByteArray(base64.b64decode(text))

        geometry = dec(state["geometry"])
        main = dec(state["state"])
        parts = {name: dec(v) for name, v in dict(state.get("splitters", {})).items()}
        flags = {str(k): int(v) for k, v in dict(state.get("flags", {})).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    window.restoreGeometry(geometry)
    window.restoreState(main)
    for name, data in parts.items():
        if name in splitters:
            splitters[name].restoreState(data)
    return flags
