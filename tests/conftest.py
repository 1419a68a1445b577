"""Shared test set-up.

With EVENT_COMPOSER_BLOCK_QT=1 (the first pass of `make test`), PySide6, shiboken6 and qasync
cannot be imported at all: that run proves everything outside composer/ui works without Qt.
"""

from __future__ import annotations

import importlib.abc
import os
import sys

_BLOCKED = ("PySide6", "shiboken6", "qasync")


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in _BLOCKED:
            raise ImportError(f"{fullname} is blocked: this test run proves the code is Qt-free")
        return None


if os.environ.get("EVENT_COMPOSER_BLOCK_QT") == "1":
    for name in list(sys.modules):
        if name.split(".")[0] in _BLOCKED:
            del sys.modules[name]
    sys.meta_path.insert(0, _BlockQt())
