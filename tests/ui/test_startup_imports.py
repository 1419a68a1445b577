"""The window paints before the network stack and the validator's libraries load: importing
the main window must not import them (they load on a worker thread after the first paint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("httpx", "jsonschema", "phonenumbers", "email_validator", "starlette", "uvicorn")


def test_the_main_window_module_leaves_heavy_libraries_for_later() -> None:
    code = (
        "import json, sys; import composer.app, composer.ui.main_window; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def _modules_after(code: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", f"import json, sys; {code}; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_the_storage_thread_preloads_only_qt_free_modules_the_window_uses() -> None:
    # They load on the storage thread while Qt loads: no Qt there (Qt is imported once, by
    # the main thread), and each of them is one the window really imports.
    from composer.app import WINDOW_PRELOAD

    preloaded = _modules_after(
        "from composer.app import WINDOW_PRELOAD; import importlib; "
        "[importlib.import_module(m) for m in WINDOW_PRELOAD]"
    )
    assert not [m for m in preloaded if m.startswith(("PySide6", "shiboken6"))]
    assert not [m for m in HEAVY if m in preloaded]
    window = _modules_after("import composer.ui.main_window")
    assert [m for m in WINDOW_PRELOAD if m not in window] == []
