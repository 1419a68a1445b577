"""Quicker imports after PySide6 is loaded.

PySide6 looks at every module imported after it, to know which ones could use its
``__feature__`` switches: it reads the module's whole source through ``inspect.getsource``
(linecache, tokenizing the encoding line, joining the lines) and searches it for "PySide6".
For the ~100 modules the window imports before its first paint that costs ~15 ms. The same
answer comes from the file's bytes; a module without a ``.py`` file (a frozen bundle) or a
file that cannot be read goes to PySide's own check."""

from __future__ import annotations

import sys
from types import ModuleType

import shiboken6  # noqa: F401  (loads shibokensupport.feature, before PySide6's own modules)


def read_sources_quickly() -> None:
    """Answer PySide6's "does this module use PySide6?" from the source file's bytes."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or getattr(original, "quick", False):
        return

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    mod_uses_pyside.quick = True  # type: ignore[attr-defined]
    setattr(feature, "_mod_uses_pyside", mod_uses_pyside)  # noqa: B010  (a private name)
